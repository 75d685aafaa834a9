"""Module attributes resolved on first use, so importing a package never imports torch."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_getattr(package: str, table: Mapping[str, tuple[str, str]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` (PEP 562) that imports ``table[name] = (module, attribute)`` when asked."""

    def __getattr__(name: str) -> Any:
        if name in table:
            module, attr = table[name]
            return getattr(import_module(module), attr)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
