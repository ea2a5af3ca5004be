"""A real dashboard for the browser tests: `shortlist serve` on a free loopback port over a store holding real
SmolLM2 evaluation runs, an imported leaderboard row with a hostile name, and a hostile custom task."""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
XSS_NAME = '<script>window.__xss="name"</script>evil/model-7b'
XSS_PROMPT = '<img src=x onerror="window.__xss=\'prompt\'"> What is 2 + 2?'


def shortlist(*args: str, env: dict[str, str] | None = None, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shortlist", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout, check=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium is not installed (scripts/test.d/browser.sh installs Debian's package)")
    pytest.importorskip("playwright")
    return path


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture(scope="session")
def web_db(tmp_path_factory: pytest.TempPathFactory, smollm2_gguf: Path, smollm2_cache: Path,
           shared_data: Path) -> Path:
    """Two real runs of the same items (float32 and bfloat16 numerics), a hostile task run, a hostile import."""
    home = tmp_path_factory.mktemp("webhome")
    db = home / "web.db"
    env = {"SHORTLIST_CACHE": str(smollm2_cache), "SHORTLIST_DB": str(db)}
    for name, dtype in (("smollm2-f32", "float32"), ("smollm2-bf16", "bfloat16")):
        res = shortlist("eval", "--model", str(smollm2_gguf), "--tasks", "arc_easy", "--limit", "24",
                        "--num-fewshot", "0", "--dtype", dtype, "--data-dir", str(shared_data / "benchmarks"),
                        "--model-name", name, "--json", env=env)
        assert res.returncode == 0, res.stderr[-2000:]
    task = home / "hostile.jsonl"
    task.write_text(json.dumps({"question": XSS_PROMPT, "choices": ["4", "<b onmouseover=alert(1)>5</b>"],
                                "answer": 0}) + "\n" + json.dumps({"question": "1 + 1?", "choices": ["2", "3"],
                                                                   "answer": 0}) + "\n", encoding="utf-8")
    res = shortlist("eval", "--model", str(smollm2_gguf), "--tasks", str(task), "--model-name", "smollm2-hostile",
                    "--json", env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    board = home / "board.csv"
    with board.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["Model", "IF"], [XSS_NAME, "0.999"]])
    res = shortlist("leaderboard", "import", str(board), "--map", "model=Model,ifeval=IF", env=env)
    assert res.returncode == 0, res.stderr
    return db


@pytest.fixture(scope="session")
def server(web_db: Path) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "shortlist", "serve", "--port", str(port), "--db", str(web_db)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/runs.json", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"server did not start: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.2)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh page that records console errors and dialogs; the test asserts there are none."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    pg = context.new_page()
    pg.console_errors = []  # type: ignore[attr-defined]
    pg.dialogs = []  # type: ignore[attr-defined]
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))  # type: ignore[attr-defined]
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))  # type: ignore[attr-defined]
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    yield pg
    context.close()


def _screenshot(page: object, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


class Tools:
    """What the tests share: the hostile strings, the CLI, free ports and screenshots."""

    xss_name = XSS_NAME
    xss_prompt = XSS_PROMPT
    shortlist = staticmethod(shortlist)
    free_port = staticmethod(free_port)
    screenshot = staticmethod(_screenshot)


@pytest.fixture(scope="session")
def tools() -> type[Tools]:
    return Tools
