"""Data flows one way: a lower layer never imports a higher one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "shortlist"
ORDER = ["catalog", "fit", "evaluate", "arena", "rank", "report", "web", "cli"]
BASE = {"errors", "files", "hub_access", "paths", "store", "names", "stats", "units", "__init__", "__main__"}


def _layer(module_path: Path) -> str:
    rel = module_path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("shortlist."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("shortlist."):
                    found.add(alias.name.split(".")[1])
    return found


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_no_upward_imports(path: Path) -> None:
    layer = _layer(path)
    if layer in BASE:
        allowed: set[str] = set(BASE)
        if layer == "__main__":
            allowed |= {"cli"}
    else:
        allowed = set(BASE) | set(ORDER[: ORDER.index(layer) + 1])
    bad = _imports(path) - allowed - {""}
    assert not bad, f"{path.relative_to(SRC)} (layer {layer}) imports higher layers {sorted(bad)}"
