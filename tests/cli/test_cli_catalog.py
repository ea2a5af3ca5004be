"""`shortlist models`, `model` and `gpus`: tables, JSON, the model lookup API, and one-line errors (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from shortlist.catalog import get_model, list_models
from shortlist.catalog.models import parse_param_count
from shortlist.cli import main
from shortlist.errors import BadInput, NotFound


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    assert "Traceback" not in err
    for n in needles:
        assert n in lines[0], (n, lines[0])


# ---- the lookup API ----

@pytest.mark.parametrize(
    "spelling",
    ["meta-llama/Llama-3.1-8B", "Llama-3.1-8B", "llama-3.1-8b", "LLAMA 3.1 8B", "meta-llama/llama-3.1-8b"],
)
def test_get_model_spellings(spelling):
    assert get_model(spelling).id == "meta-llama/Llama-3.1-8B"


def test_get_model_unknown_suggests():
    with pytest.raises(NotFound) as err:
        get_model("llama-3.1-9b")
    assert "meta-llama/Llama-3.1-8B" in str(err.value)


@pytest.mark.parametrize(("text", "n"), [("8b", 8_000_000_000), ("500M", 500_000_000), ("1.5B", 1_500_000_000),
                                         ("7e9", 7_000_000_000), ("123", 123)])
def test_parse_param_count(text, n):
    assert parse_param_count(text) == n


def test_list_models_filters():
    small = list_models(max_params="8b", kind="base")
    assert small and all(m.params_total <= 8e9 and m.kind == "base" for m in small)
    assert {m.family for m in list_models(family="Qwen2.5")} == {"qwen2.5"}
    long = list_models(min_context=128 * 1024)
    assert long and all(m.max_context >= 131072 for m in long)
    nc = list_models(license_class="non-commercial")
    assert all(m.license in ("cc-by-nc-4.0", "cc-by-nc-sa-4.0", "qwen-research", "non-commercial") for m in nc)
    commercial = list_models(usable_for="commercial")
    assert commercial and not {m.id for m in commercial} & {m.id for m in nc}
    with pytest.raises(BadInput):
        list_models(max_params="lots")
    with pytest.raises(NotFound):
        list_models(family="lama")


# ---- shortlist models / model ----

def test_models_json(capsys):
    code, out, _ = run(capsys, "models", "--max-params", "8b", "--license", "commercial", "--json")
    assert code == 0
    rows = json.loads(out)
    assert rows and all(r["params_total"] <= 8e9 and r["license_class"] == "commercial" for r in rows)


def test_models_table(capsys):
    code, out, _ = run(capsys, "models", "--family", "llama3.1")
    assert code == 0
    assert out.splitlines()[0].strip() == f"{len(list_models(family='llama3.1'))} models"
    assert "llama3.1" in out and "128k" in out


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["models", "--family", "lama3.1"], ["unknown model family", "did you mean"]),
        (["models", "--max-params", "big"], ["parameter count"]),
        (["models", "--kind", "chatty"], ["unknown model kind"]),
        (["models", "--license", "free"], ["unknown --license"]),
        (["models", "--min-context", "lots"], ["--min-context"]),
        (["model", "llama-3.1-9b"], ["unknown model", "did you mean"]),
        (["model", "acme/not-cached-anywhere"], ["not in the local Hugging Face cache"]),
        (["gpus", "rtx 4900"], ["unknown gpu", "did you mean", "RTX 4090"]),
        (["gpus", "--kind", "gaming"], ["unknown GPU kind"]),
        (["gpus", "--min-memory", "-4"], ["--min-memory"]),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, args, needles):
    code, _, err = run(capsys, *args)
    assert_one_line_error(code, err, *needles)


def test_model_show_catalog_json(capsys):
    """A catalog model's --json is the model page's schema: facts with their source, license, scores, fit grid."""
    code, out, _ = run(capsys, "model", "llama-3.1-8b", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["schema_version"] == 1 and data["id"] == "meta-llama/Llama-3.1-8B"
    assert data["facts"]["params_total"] == 8_030_261_248 and data["source"]
    assert data["license"]["class"] in ("commercial", "non-commercial", "research", "needs-review")
    assert data["fit_grid"] and all({"gpu", "precision", "fits"} <= set(c) for c in data["fit_grid"])
    assert all(s["source"] and s["source_date"] for s in data["scores"])


def test_model_show_gguf(capsys, smollm2_gguf):
    code, out, _ = run(capsys, "model", str(smollm2_gguf), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["file"]["params_exact"] == 134_515_008 and data["file"]["quantization"] == "Q4_1"
    code, out, _ = run(capsys, "model", str(smollm2_gguf))
    assert code == 0 and "134,515,008" in out


def test_model_show_corrupt_gguf(capsys, tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\xff" * 64)
    code, _, err = run(capsys, "model", str(bad))
    assert_one_line_error(code, err, "broken.gguf")


# ---- shortlist gpus ----

def test_gpus_json_filters(capsys):
    code, out, _ = run(capsys, "gpus", "--min-memory", "80", "--json")
    rows = json.loads(out)
    assert code == 0 and rows and all(r["memory_gib"] >= 80 for r in rows)
    code, out, _ = run(capsys, "gpus", "--kind", "apple", "--json")
    rows = json.loads(out)
    assert {r["kind"] for r in rows} == {"apple"}
    m2 = next(r for r in rows if r["id"] == "M2 Ultra 192GB")
    assert m2["usable_gib"] == pytest.approx(192 * 0.75)


def test_gpus_one_and_detect(capsys):
    code, out, _ = run(capsys, "gpus", "4090", "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == ["RTX 4090"]
    code, out, _ = run(capsys, "gpus", "--detect", "--json")
    assert code == 0 and len(json.loads(out)) >= 1


def test_subprocess_error_path():
    done = subprocess.run([sys.executable, "-m", "shortlist", "gpus", "h1000"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert_one_line_error(done.returncode, done.stderr, "unknown gpu", "H100")
