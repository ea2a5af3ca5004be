"""The dashboard and the report in a real browser (Debian's chromium via Playwright) against `shortlist serve`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

pytestmark = pytest.mark.slow


def _charts_rendered(page: object, at_least: int = 1) -> int:
    page.wait_for_function(  # type: ignore[attr-defined]
        f"document.querySelectorAll('.chart[data-rendered]').length >= {at_least}", timeout=30_000)
    return int(page.evaluate("document.querySelectorAll('.chart').length"))  # type: ignore[attr-defined]


def _clean(page: object) -> None:
    assert page.console_errors == [], page.console_errors  # type: ignore[attr-defined]
    assert page.dialogs == [], page.dialogs  # type: ignore[attr-defined]
    assert page.evaluate("typeof window.__xss") == "undefined"  # type: ignore[attr-defined]


def _run_ids(server: str) -> dict[str, str]:
    runs = httpx.get(server + "/runs.json").json()["runs"]
    return {r["model"]: r["run_id"] for r in runs}


def test_every_page_loads_clean_with_charts_and_screenshots(tools: object, page: object, server: str) -> None:
    ids = _run_ids(server)
    pages = {
        "explorer": "/?" + urlencode({"gpu": "RTX 4090", "task": "customer-support", "license": "commercial"}),
        "model": "/model/Qwen/Qwen3-32B",
        "compare-models": "/compare?" + urlencode({"models": "google/gemma-3-27b-it,Qwen/Qwen3-32B",
                                                   "task": "coding"}),
        "compare-runs": "/compare?" + urlencode({"models": "smollm2-f32,smollm2-bf16"}),
        "runs": "/runs",
        "run": f"/runs/{ids['smollm2-f32']}",
    }
    for name, path in pages.items():
        resp = page.goto(server + path)  # type: ignore[attr-defined]
        assert resp.status == 200, (name, resp.status)
        if name in ("explorer", "compare-models", "compare-runs"):
            assert _charts_rendered(page) >= 1
        tools.screenshot(page, f"web-{name}")
        _clean(page)
    # the compare page shows the item-level comparison of the two real runs
    page.goto(server + pages["compare-runs"])  # type: ignore[attr-defined]
    text = page.inner_text("main")  # type: ignore[attr-defined]
    assert "item by item" in text and "arc_easy" in text and "verdict" in text


def test_explorer_filters_give_what_pick_json_gives(tools: object, page: object, server: str, web_db: Path) -> None:
    page.goto(server + "/")  # type: ignore[attr-defined]
    page.fill("input[name=gpu]", "RTX 4090")  # type: ignore[attr-defined]
    page.fill("input[name=gpus]", "2")  # type: ignore[attr-defined]
    page.select_option("select[name=task]", "coding")  # type: ignore[attr-defined]
    page.select_option("select[name=license]", "commercial")  # type: ignore[attr-defined]
    page.fill("input[name=top]", "8")  # type: ignore[attr-defined]
    page.click("form.question button")  # type: ignore[attr-defined]
    page.wait_for_selector("table#shortlist tbody tr")  # type: ignore[attr-defined]
    shown = page.eval_on_selector_all(  # type: ignore[attr-defined]
        "table#shortlist tbody tr", "rows => rows.map(r => r.children[2].querySelector('a').textContent)")
    cli = tools.shortlist("pick", "--gpu", "RTX 4090", "--gpus", "2", "--task", "coding", "--license", "commercial",
                    "--top", "8", "--json", "--db", str(web_db))
    assert cli.returncode == 0, cli.stderr
    assert shown == [e["model"] for e in json.loads(cli.stdout)["shortlist"]]
    assert "gpus=2" in page.url and "task=coding" in page.url  # the state lives in the URL
    # sorting by a column reorders the rows in the browser
    page.click("table#shortlist thead th:nth-child(4)")  # type: ignore[attr-defined]
    page.click("table#shortlist thead th:nth-child(4)")  # type: ignore[attr-defined]
    _clean(page)


def test_json_twins_are_the_cli_schemas(tools: object, server: str, web_db: Path) -> None:
    q = {"gpu": "RTX 4090", "task": "customer-support", "license": "commercial"}
    twin = httpx.get(server + "/explore.json?" + urlencode(q)).json()
    accept = httpx.get(server + "/?" + urlencode(q), headers={"Accept": "application/json"}).json()
    cli = json.loads(tools.shortlist("pick", "--gpu", "RTX 4090", "--task", "customer-support",
                                     "--license", "commercial",
                               "--json", "--db", str(web_db)).stdout)
    assert set(twin) == set(cli) and twin["schema_version"] == cli["schema_version"]
    assert [e["model"] for e in twin["shortlist"]] == [e["model"] for e in cli["shortlist"]]
    assert accept["shortlist"] == twin["shortlist"]
    model = httpx.get(server + "/model/Qwen/Qwen3-32B.json").json()
    cli_model = json.loads(tools.shortlist("model", "Qwen/Qwen3-32B", "--json", "--db", str(web_db)).stdout)
    assert model == cli_model
    runs = httpx.get(server + "/runs.json").json()
    cli_runs = json.loads(tools.shortlist("eval", "runs", "--json", "--db", str(web_db)).stdout)
    assert runs == cli_runs


@pytest.mark.parametrize(("path", "needle"), [
    ("/?gpu=RTX+9999+Ultra", "unknown gpu"),
    ("/?context=-5", "context"),
    ("/?weights=ifeval%3Dtwo", "ifeval=two"),
    ("/?top=0", "top"),
    ("/?include_api=maybe", "include_api"),
    ("/compare?models=only-one", "2 to 4 models"),
    ("/runs/zzzz?filter=flipped", "evaluation run"),
])
def test_bad_parameters_are_400_with_the_message(server: str, path: str, needle: str) -> None:
    page = httpx.get(server + path)
    assert page.status_code in (400, 404), page.status_code
    assert needle.lower() in page.text.lower() and "Traceback" not in page.text
    twin = httpx.get(server + path, headers={"Accept": "application/json"})
    assert twin.status_code == page.status_code and needle.lower() in twin.json()["error"].lower()


def test_hostile_names_and_prompts_render_as_text(tools: object, page: object, server: str) -> None:
    q = {"gpu": "RTX 4090", "weights": "ifeval=1", "include_community": "1", "allow_unknown_license": "1"}
    page.goto(server + "/?" + urlencode(q))  # type: ignore[attr-defined]
    # the row has no size, so it cannot be fitted: it is named, as text, under "why not"
    assert tools.xss_name in page.text_content("main")  # type: ignore[attr-defined]
    _charts_rendered(page)
    ids = _run_ids(server)
    page.goto(server + f"/runs/{ids['smollm2-hostile']}")  # type: ignore[attr-defined]
    assert "onerror=" in page.inner_text("main")  # type: ignore[attr-defined]
    page.hover("ol.choices li:nth-child(2)")  # type: ignore[attr-defined]
    tools.screenshot(page, "web-hostile-run")
    _clean(page)


def test_report_opens_offline_with_every_chart(tools: object, page: object, web_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "decision.html"
    res = tools.shortlist("report", "--gpu", "RTX 4090", "--task", "coding", "--license", "commercial", "--db",
                    str(web_db), "-o", str(out))
    assert res.returncode == 0, res.stderr
    again = tmp_path / "again.html"
    tools.shortlist("report", "--gpu", "RTX 4090", "--task", "coding", "--license", "commercial", "--db", str(web_db),
              "-o", str(again))
    text = out.read_text(encoding="utf-8")
    assert text == again.read_text(encoding="utf-8").replace("again.html", "decision.html")  # byte-identical
    for item in ("The question", "Recommendation", "What it takes to run", "Why not the others", "Caveats",
                 "Assumptions", "Sources", "reproduce with", "data as of"):
        assert item in text, item
    requested: list[str] = []
    page.route("**/*", lambda route: (requested.append(route.request.url),  # type: ignore[attr-defined]
                                      route.continue_() if route.request.url.startswith("file:")
                                      else route.abort()))
    page.goto(out.as_uri())  # type: ignore[attr-defined]
    charts = _charts_rendered(page, 2)
    rendered = page.evaluate("document.querySelectorAll('.chart[data-rendered]').length")  # type: ignore[attr-defined]
    assert rendered == charts >= 2
    assert all(u.startswith("file:") for u in requested), requested  # nothing fetched from the network
    tools.screenshot(page, "report")
    _clean(page)


def test_hostile_model_name_in_the_report_is_text(tools: object, page: object, web_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "hostile.html"
    res = tools.shortlist("report", "--gpu", "RTX 4090", "--weights", "ifeval=1", "--include-community",
                    "--allow-unknown-license", "--db", str(web_db), "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert "<script>window.__xss" not in out.read_text(encoding="utf-8")
    page.goto(out.as_uri())  # type: ignore[attr-defined]
    _charts_rendered(page)
    assert tools.xss_name in page.inner_text("body")  # type: ignore[attr-defined]
    _clean(page)


def test_markdown_report(tools: object, web_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "decision.md"
    res = tools.shortlist("report", "--gpu", "RTX 4090", "--task", "customer-support", "--format", "md", "--db",
                    str(web_db), "-o", str(out))
    assert res.returncode == 0, res.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# ") and "| tier | # | model |" in text and "## Sources" in text


def test_serve_port_in_use_and_public_bind_warning(tools: object, server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    res = subprocess.run([sys.executable, "-m", "shortlist", "serve", "--port", str(port)], capture_output=True,
                         text=True, timeout=60, check=False)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1 and "in use" in res.stderr
    other = tools.free_port()
    proc = subprocess.Popen([sys.executable, "-m", "shortlist", "serve", "--host", "0.0.0.0", "--port", str(other)],
                            stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stderr.readline() if proc.stderr else ""
        assert "no authentication" in first
    finally:
        proc.terminate()
        proc.wait(timeout=10)
