"""`cli/` parses, calls the library's public API, renders: it imports nothing else (issue 12).

A cli module may import the standard library, typer, click and rich; ``flopcast`` itself; a library
package's public face (``flopcast.count``, ``flopcast.estimate``, ... — the package, never one of its
modules); any ``flopcast.report`` module (the renderers); the foundation modules ``flopcast.errors`` and
``flopcast.units``; and the other cli modules. Imports inside functions count too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

CLI = Path(__file__).resolve().parents[2] / "src" / "flopcast" / "cli"
LIBRARY = {"count", "hardware", "estimate", "measure", "simulate", "scaling", "trends", "integrations"}
FOUNDATION = {"flopcast.errors", "flopcast.units"}
THIRD_PARTY = {"typer", "click", "rich"}


def allowed(module: str) -> bool:
    parts = module.split(".")
    if parts[0] != "flopcast":
        return parts[0] in THIRD_PARTY or parts[0] in sys.stdlib_module_names
    if len(parts) == 1 or module in FOUNDATION or parts[1] in ("report", "cli"):
        return True
    return parts[1] in LIBRARY and len(parts) == 2


def imports(path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = "flopcast.cli" if node.level else (node.module or "")
            out.append((node.lineno, f"{base}.{node.module}" if node.level and node.module else base))
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
    return out


def violations(folder: Path = CLI) -> list[str]:
    return [
        f"cli/{p.name}:{line} imports {m}"
        for p in sorted(folder.glob("*.py"))
        for line, m in sorted(imports(p))
        if not allowed(m)
    ]


def test_cli_imports_only_the_public_api_report_and_typer_rich() -> None:
    assert violations() == []


def test_the_checker_sees_a_private_module(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text(
        "def f():\n    from flopcast.count.sources import load_model\n"
        "import flopcast.trends.data\nfrom flopcast.report import console\nimport typer\n"
        "import pandas\n"
    )
    assert violations(tmp_path) == [
        "cli/x.py:2 imports flopcast.count.sources",
        "cli/x.py:3 imports flopcast.trends.data",
        "cli/x.py:6 imports pandas",
    ]
