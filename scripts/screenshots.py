"""Regenerate docs/screenshots/*.png: the dashboard's pages and the decision report, on built-in data plus a
small demo arena, in the system Chromium (the same set-up as tests/web).

Usage: python scripts/screenshots.py [OUT_DIR]   (default docs/screenshots)
"""

from __future__ import annotations

import contextlib
import csv
import math
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
DEMO = {"meta-llama/Llama-3.1-8B-Instruct": 0.6, "Qwen/Qwen2.5-7B-Instruct": 0.2, "google/gemma-2-9b-it": 0.4,
        "mistralai/Mistral-7B-Instruct-v0.3": -0.4, "my-finetune": 0.8}
PAGES = [
    ("explorer", "/?gpu=RTX+4090&task=customer-support&license=commercial"),
    ("model", "/model/Qwen/Qwen3-8B"),
    ("compare", "/compare?models=Qwen/Qwen3-8B,meta-llama/Llama-3.1-8B-Instruct,google/gemma-3-12b-it"
                "&task=customer-support&gpu=RTX+4090"),
    ("arena-board", "/arena/demo"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _demo_arena(db: Path, folder: Path) -> None:
    """800 synthetic votes among five contestants (Bradley–Terry strengths above), as an LMArena-format file."""
    from shortlist import arena as ar
    from shortlist.store import Store

    rng = random.Random(3)
    names = list(DEMO)
    votes = folder / "votes.csv"
    with votes.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model_a", "model_b", "winner"])
        for _ in range(800):
            a, b = rng.sample(names, 2)
            p = 1 / (1 + math.exp(DEMO[b] - DEMO[a]))
            r = rng.random()
            w.writerow([a, b, "tie" if r > 0.9 else ("model_a" if r < p * 0.9 else "model_b")])
    store = Store(db)
    try:
        ar.create_arena(store, "demo", description="synthetic votes for the screenshots")
        ar.import_votes(store, "demo", votes)
        ar.create_arena(store, "support", description="pre-generated answers, voted in the page")
        for name in ("base", "finetune"):
            ar.add_contestant(store, "support", f"openai:{name}@http://127.0.0.1:9/v1", name=name)
        pid = ar.add_prompt(store, "support", "A customer asks how to return a damaged blender bought 40 days ago. "
                                              "Reply in three sentences.", tags=["returns"], pooled=True)
        ar.add_answer(store, "support", "base", pid, "You can return items within 30 days. Since it has been 40 "
                      "days, a return is not possible. Please contact the manufacturer for warranty service.")
        ar.add_answer(store, "support", "finetune", pid, "I'm sorry your blender arrived damaged. Damaged items are "
                      "covered beyond the 30-day window, so we can replace it or refund you in full. Reply with "
                      "your order number and a photo, and I'll send a prepaid return label today.")
    finally:
        store.close()


@contextlib.contextmanager
def _serve(db: Path) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "shortlist", "serve", "--port", str(port), "--db", str(db)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(url + "/runs", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("shortlist serve did not start")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def main(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install -y chromium)")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "demo.db"
        _demo_arena(db, folder)
        report = folder / "report.html"
        subprocess.run([sys.executable, "-m", "shortlist", "report", "-o", str(report), "--gpu", "RTX 4090",
                        "--task", "customer-support", "--license", "commercial", "--arena", "demo",
                        "--db", str(db)], check=True, env={**os.environ, "SHORTLIST_DB": str(db)})
        with _serve(db) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            for name, path in PAGES:
                page.goto(url + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(out / f"{name}.png"), full_page=False)
                print(f"wrote {out / (name + '.png')}")
            page.goto(url + "/arena/support/vote")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(out / "arena-vote.png"), full_page=False)
            page.keyboard.press("2")
            page.wait_for_timeout(1000)
            page.screenshot(path=str(out / "arena-vote-revealed.png"), full_page=False)
            print(f"wrote {out / 'arena-vote.png'}, {out / 'arena-vote-revealed.png'}")
            page.goto(report.as_uri())
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / "report.png"), full_page=False)
            page.evaluate("document.querySelector('.chart') && document.querySelector('.chart').scrollIntoView()")
            page.screenshot(path=str(out / "report-charts.png"), full_page=False)
            print(f"wrote {out / 'report.png'}, {out / 'report-charts.png'}")
            browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
