"""Public names resolve on first use: importing flopcast (or flopcast.count) never imports torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

from flopcast._lazy import lazy_getattr


def test_importing_the_packages_leaves_torch_unimported():
    code = "import sys, flopcast, flopcast.count; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_lazy_getattr_imports_on_first_use_and_names_the_missing_attribute():
    get = lazy_getattr("pkg", {"sqrt": ("math", "sqrt")})
    assert get("sqrt")(9.0) == 3.0
    with pytest.raises(AttributeError, match=r"module 'pkg' has no attribute 'nope'"):
        get("nope")


def test_public_entry_points_resolve():
    pytest.importorskip("torch")
    import flopcast
    import flopcast.count as count_pkg

    assert callable(flopcast.track) and callable(count_pkg.count)
    assert count_pkg.CountResult.__name__ == "CountResult"
