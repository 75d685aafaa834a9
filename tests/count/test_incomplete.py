"""An uncounted matmul-class op is said next to the headline total (CountResult and CLI), not only in a list."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from flopcast.cli import main  # noqa: E402
from flopcast.count import count  # noqa: E402
from flopcast.count.result import is_matmul_family  # noqa: E402

pytestmark = pytest.mark.torch


class Inverse(nn.Module):
    """A linear layer, then a matrix inversion (dense linear algebra without a formula)."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)

    def forward(self, x):
        return torch.linalg.inv(self.lin(x))


class Spectral(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(8, 8)

    def forward(self, x):
        return torch.fft.rfft(self.lin(x)).abs()


def inverse():
    return Inverse(), torch.randn(2, 4, 4)


def test_uncounted_matmul_class_op_marks_the_result_incomplete():
    r = count(*inverse())
    assert r.incomplete and r.uncounted_matmul_ops == {"aten.linalg_inv_ex": 1}
    assert r.forward_flop == 2 * 8 * 4 * 4  # the Linear only: a lower bound
    d = r.to_dict()
    assert d["incomplete"] is True and d["uncounted_matmul_ops"] == {"aten.linalg_inv_ex": 1}


def test_uncounted_non_matmul_op_leaves_the_headline_complete():
    r = count(Spectral(), torch.randn(2, 8))
    assert r.uncounted_ops and not r.incomplete and r.uncounted_matmul_ops == {}
    assert count(nn.Linear(3, 2), torch.randn(1, 3)).to_dict()["incomplete"] is False


@pytest.mark.parametrize(
    ("op", "matmul"),
    [
        ("aten._grouped_mm", True),
        ("aten.mm (formula failed)", True),
        ("aten.linalg_inv_ex", True),
        ("aten.convolution", True),
        ("aten._fft_r2c", False),
        ("aten.sort", False),
        ("aten.histc", False),
    ],
)
def test_matmul_family_by_name(op, matmul):
    assert is_matmul_family(op) is matmul


def test_cli_says_incomplete_next_to_the_total(tmp_path, capsys):
    path = tmp_path / "inv.py"
    path.write_text(
        "import torch\nfrom torch import nn\n\n"
        "class Inverse(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.lin = nn.Linear(4, 4)\n\n    def forward(self, x):\n"
        "        return torch.linalg.inv(self.lin(x))\n\n"
        "def build():\n    return Inverse(), torch.randn(2, 4, 4)\n"
    )
    assert main(["count", f"{path}:build", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    line = next(row for row in out.splitlines() if "forward FLOP (matmul-class)" in row)
    assert "INCOMPLETE" in line
    note = next(row for row in out.splitlines() if "lower bound" in row)
    assert "INCOMPLETE" in note and "aten.linalg_inv_ex x1" in note
    assert main(["count", f"{path}:build", "--device", "cpu", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["incomplete"] is True
