"""The end-to-end validation (bench/scaling_e2e.py) on a reduced grid: real training, fit, forecast, check."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

BENCH = Path(__file__).resolve().parents[2] / "bench" / "scaling_e2e.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("scaling_e2e", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("scaling_e2e", module)  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.torch
def test_small_runs_forecast_a_larger_run(tmp_path):
    e2e = load_bench()
    cfg = e2e.Config
    grid = {
        "fit": [cfg(d, 2, s, batch=16, context=64, lr=1e-2) for d in (16, 24, 32) for s in (50, 100, 200)],
        "target": cfg(48, 2, 400, batch=16, context=64, lr=1e-2),
        "eval_batches": 4,
    }
    record = e2e.run(grid, tmp_path, bootstrap=50, corpus_bytes=1_000_000, log=lambda msg: None)
    c = record["comparison"]
    assert c["extrapolation_x"] > 3  # a real extrapolation, not an interpolation
    # the forecast held-out loss of the larger run is within 10% of what training it gave
    assert abs(c["loss_error_pct"]) < 10, record["forecast"]
    assert record["target"]["loss"] < min(r["loss"] for r in record["runs"])
    # 6ND leaves out attention scores and the output head, which torch's counter includes
    assert 0.6 < c["flop_6nd_over_counted"] < 1.0
    assert (tmp_path / "results.json").exists() and (tmp_path / "loss_vs_compute.png").exists()
    assert "forecast" in e2e.report(record)
