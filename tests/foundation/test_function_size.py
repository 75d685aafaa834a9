"""Every function's body is under ~60 lines (CONTRIBUTING.md, "Standards"); the formatter's layout is the yardstick.

The body is counted from the first statement after the docstring to the last line, so a typer command's
declarative parameter list (one option per line under ``ruff format``) does not count, and a nested function
counts inside its parent.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "flopcast"
LIMIT = 60

# Each exemption says why the function stays whole.
EXEMPT = {
    # The batched LARS-lasso homotopy is one numerical kernel: the active sets, signs, bordered inverse, pending
    # rank-1 terms and the folds' grid readings share loop state, and splitting it would pass that state through
    # a dozen arguments per knot. (Its ~55-line setup of the batched statistics could be split off; not done yet.)
    "simulate/lasso.py::lasso_cv"
}

# Functions the formatter pushed past the limit, still to be split (each must still be long: the list only shrinks).
TO_SPLIT: set[str] = set()  # all split (issue 12); a set, so the subtractions below still work


def body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    first = node.body[0]
    docstring = (
        isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
    )
    start = first.end_lineno + 1 if docstring and len(node.body) > 1 and first.end_lineno else first.lineno
    return (node.end_lineno or start) - start + 1


def long_functions(root: Path = SRC) -> dict[str, int]:
    found: dict[str, int] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and body_lines(node) > LIMIT:
                found[f"{path.relative_to(root).as_posix()}::{node.name}"] = body_lines(node)
    return found


def test_function_bodies_are_small():
    long = long_functions()
    assert sorted(set(long) - EXEMPT - TO_SPLIT) == []


def test_the_to_split_list_only_shrinks():
    assert sorted(TO_SPLIT - set(long_functions())) == []


def test_the_counter_sees_a_long_body(tmp_path):
    body = "".join(f"    x{i} = {i}\n" for i in range(LIMIT + 1))
    (tmp_path / "m.py").write_text(f'def f(\n    a,\n    b,\n):\n    """Doc."""\n{body}def g():\n    return 1\n')
    assert long_functions(tmp_path) == {"m.py::f": LIMIT + 1}
