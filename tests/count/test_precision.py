"""One owner for the optimizer-state bytes rule and the dtype table (issue 12): ``flopcast.count.precision``.

The rule is pinned against Rajbhandari et al. 2020 (ZeRO, arXiv:1910.02054, sec. 3.1): mixed-precision Adam
keeps an fp32 copy of the parameters, momentum and variance, K = 12 bytes per parameter, 16 bytes per parameter
with the 16-bit weights and gradients ("16Ψ"). Full precision is derived by hand: the update runs on the fp32 or
fp64 weights themselves (no master copy) and torch.optim allocates each state like the parameter
(``zeros_like(param)``), so a state costs the weights' width.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from flopcast.count import precision as P
from flopcast.estimate import memory as M


@pytest.mark.parametrize("optimizer", ["adam", "adamw"])
@pytest.mark.parametrize("weight_bytes", [2, 2.0])
def test_mixed_precision_adam_is_the_papers_k_12(optimizer, weight_bytes):
    k = P.optimizer_state_bytes_per_param(optimizer, weight_bytes)
    assert k == 12
    assert 2 + 2 + k == 16  # ZeRO sec. 3.1: (2 + 2 + K) Ψ = 16 Ψ bytes for Ψ parameters


# (optimizer, weight bytes) -> bytes per parameter, by hand:
#   16-bit weights: fp32 master copy (4) + fp32 states (4 each);  fp32/fp64: states at the weights' width, no copy
HAND = {
    ("adam", 2): 4 + 2 * 4,
    ("sgd", 2): 4 + 1 * 4,
    ("none", 2): 4 + 0,
    ("adam", 4): 2 * 4,
    ("sgd", 4): 1 * 4,
    ("none", 4): 0,
    ("adam", 8): 2 * 8,
    ("sgd", 8): 1 * 8,
    ("none", 8): 0,
}


@pytest.mark.parametrize(("optimizer", "weight_bytes"), sorted(HAND))
def test_the_rule_matches_the_hand_derivation(optimizer, weight_bytes):
    assert P.optimizer_state_bytes_per_param(optimizer, weight_bytes) == HAND[optimizer, weight_bytes]


@pytest.mark.parametrize(("precision", "weights"), [("fp64", 8), ("fp32", 4), ("bf16", 2), ("fp16", 2)])
@pytest.mark.parametrize("optimizer", ["adam", "sgd", "none"])
def test_the_memory_fit_takes_the_rule(precision, weights, optimizer):
    w, g, o = M.training_state_bytes(1e9, precision, optimizer)
    assert (w, g) == (weights * 1e9, weights * 1e9)
    assert o == HAND[optimizer, weights] * 1e9


def test_fp64_adam_keeps_two_fp64_moments():
    # the defect fixed in issue 12: the memory fit gave fp64 Adam 8 bytes/param (fp32 moments); torch keeps fp64
    assert M.training_state_bytes(7e9, "fp64", "adam") == (56e9, 56e9, 112e9)


def test_estimate_imports_the_owner():
    assert M.optimizer_state_bytes_per_param is P.optimizer_state_bytes_per_param
    assert M.OPTIMIZERS == tuple(P.OPTIMIZER_STATES) == ("adam", "adamw", "sgd", "none")


def test_bytes_per_value_has_one_owner():
    from flopcast import units
    from flopcast.hardware import spec

    assert spec.BYTES_PER_VALUE is units.BYTES_PER_VALUE is P.BYTES_PER_VALUE
    # IEEE 754 binary64/binary32/binary16 and bfloat16 widths
    assert {k: units.BYTES_PER_VALUE[k] for k in ("fp64", "fp32", "fp16", "bf16")} == {
        "fp64": 8,
        "fp32": 4,
        "fp16": 2,
        "bf16": 2,
    }


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("fp32", "fp32"),
        ("float32", "fp32"),
        ("float", "fp32"),
        ("torch.float32", "fp32"),
        ("BF16", "bf16"),
        ("bfloat16", "bf16"),
        ("fp16", "fp16"),
        ("half", "fp16"),
        ("float16", "fp16"),
        ("fp64", None),
        ("int8", None),
    ],
)
def test_dtype_spellings(spelling, name):
    assert P.dtype_name(spelling) == name


def test_the_owner_and_the_memory_fit_do_not_import_torch():
    code = "import sys, flopcast.count.precision, flopcast.estimate.memory; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.torch
def test_count_and_hf_resolve_every_spelling_alike():
    torch = pytest.importorskip("torch")
    from flopcast.count import api, hf

    expected = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
    for spelling in ("fp32", "float32", "float", "bf16", "bfloat16", "fp16", "float16", "half"):
        name = P.dtype_name(spelling)
        assert api.parse_dtype(spelling) is hf.torch_dtype(spelling) is expected[name]


def test_one_spelling_table_for_counts_and_the_catalogue():
    """A count's dtype names and the catalogue's precisions read one table (units.PRECISION_SPELLINGS): every
    spelling of a count dtype means the same format to both, and the two modules keep no table of their own."""
    from collections.abc import Mapping

    from flopcast.hardware import spec
    from flopcast.units import PRECISION_SPELLINGS

    for spelling, short in PRECISION_SPELLINGS.items():
        assert spec.normalize_precision(spelling) == short
        assert P.dtype_name(spelling) == (short if short in P.DTYPES else None)
        assert P.dtype_name(f"torch.{spelling}") == P.dtype_name(spelling)
    assert P.dtype_name("fp64") is None  # the catalogue knows fp64; a count does not run in it
    for module in (P, spec):  # no second table: no other module-level mapping knows a spelling such as "half"
        tables = [v for k, v in vars(module).items() if isinstance(v, Mapping) and k != "PRECISION_SPELLINGS"]
        assert not any("half" in t for t in tables)
