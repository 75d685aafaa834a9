"""The optional dependencies counting needs (the ``torch`` extra), checked with a one-line error naming it."""

from __future__ import annotations

from importlib import import_module

from flopcast.errors import ModelError

#: How to install what counting needs: torch, and transformers for presets and Hugging Face configs.
TORCH_EXTRA = "pip install 'flopcast[torch]'"


def require(module: str, purpose: str) -> None:
    """Import ``module`` (``"torch"``, ``"transformers"``) or raise a one-line error naming the extra to install."""
    try:
        import_module(module)
    except ImportError:
        raise ModelError(f"{purpose} needs {module}, which is not installed: {TORCH_EXTRA}") from None
