"""The house's one rule, checked: data flows one way, lower folders never import higher ones.

Ranks (CONTRIBUTING.md, "The house"): the foundation modules at the package root, then count and hardware, then
estimate, then measure and simulate, then scaling and trends (which read measured runs), then report and
integrations, then cli. A module may import its own folder, any lower rank, and nothing of its own rank or above.
Imports inside functions and ``importlib.import_module("flopcast....")`` count too: laziness is not a licence.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "flopcast"
RANKS = {
    "count": 1,
    "hardware": 1,
    "estimate": 2,
    "measure": 3,
    "simulate": 3,
    "scaling": 4,
    "trends": 4,
    "report": 5,
    "integrations": 5,
    "cli": 6,
}  # anything else at the package root (errors, units, provenance, data, _names, _lazy) is rank 0


def _rank(folder: str) -> int:
    return RANKS.get(folder, 0)


def _folder(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "flopcast" and len(parts) > 1 else None


def _imported(tree: ast.AST, here: tuple[str, ...]) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = ["flopcast", *here[: len(here) - node.level]]
                names = [node.module] if node.module else [a.name for a in node.names]
                for name in names:
                    yield node.lineno, ".".join([*base, name])
            elif node.module == "flopcast":
                for alias in node.names:
                    yield node.lineno, f"flopcast.{alias.name}"
            elif node.module:
                yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def violations(package: Path = PACKAGE) -> list[str]:
    found = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package)
        if len(rel.parts) == 1:
            continue  # root modules: __init__ (lazy re-exports) and __main__ (the console entry) sit above it all
        here, folder = rel.parts[:-1], rel.parts[0]
        for line, module in _imported(ast.parse(path.read_text(encoding="utf-8")), here):
            target = _folder(module)
            if target is None or target == folder or (target.startswith("_") and _rank(target) == 0):
                continue
            if _rank(target) >= _rank(folder) and _rank(target) > 0:
                found.append(f"{rel}:{line} ({folder}, rank {_rank(folder)}) imports {module} (rank {_rank(target)})")
    return found


def test_lower_folders_never_import_higher_ones() -> None:
    assert violations() == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    (tmp_path / "count").mkdir()
    (tmp_path / "count" / "x.py").write_text("def f():\n    from ..report import console\n")
    (tmp_path / "estimate").mkdir()
    (tmp_path / "estimate" / "y.py").write_text(
        "import importlib\nm = importlib.import_module('flopcast.measure.rates')\n"
    )
    (tmp_path / "simulate").mkdir()
    (tmp_path / "simulate" / "z.py").write_text("from flopcast import report\n")
    (tmp_path / "measure").mkdir()
    (tmp_path / "measure" / "ok.py").write_text("from flopcast.estimate import formulas\nfrom flopcast import errors\n")
    found = violations(tmp_path)
    assert len(found) == 3
    assert found[0].startswith("count/x.py:2") and "flopcast.report" in found[0]
    assert found[1].startswith("estimate/y.py:2") and "flopcast.measure.rates" in found[1]
    assert found[2].startswith("simulate/z.py:1") and "flopcast.report" in found[2]


@pytest.mark.parametrize("folder", sorted(RANKS))
def test_every_ranked_folder_that_exists_is_a_package(folder: str) -> None:
    path = PACKAGE / folder
    if path.exists():
        assert (path / "__init__.py").exists()
