"""The session's ledger for report tests: four real runs (one failed, one named like an XSS probe), an interrupted
and a lost run (synthetic rows, as the tracker leaves them), and a two-node job."""

from __future__ import annotations

import pytest

from .helpers import XSS, Recorded, add_job, add_row, track


@pytest.fixture(scope="session")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    d = tmp_path_factory.mktemp("report")
    ledger = d / "runs.sqlite"
    records = {
        "sweep-1": track(ledger, "sweep-1", 0, "--hardware", "h100", "--chips", "1", "--region", "FRA"),
        "sweep-2": track(ledger, "sweep-2", 3, "--hardware", "h100", "--chips", "1", "--region", "FRA"),
        "sweep-3": track(ledger, "sweep-3", 0, "--hardware", "h100", "--chips", "1", "--region", "FRA"),
        XSS: track(ledger, XSS, 0),
    }
    later = "2099-01-01T00:00:0{}+00:00"  # after the real runs: the ledger lists runs by start
    records["sweep-4"] = add_row(
        ledger,
        records["sweep-1"],
        "sweep-run-4",
        "sweep-4",
        "interrupted",
        later.format(1),
        exit_code=130,
        energy_kwh=0.002,
        co2e_kg=0.0001,
    )
    records["sweep-5"] = add_row(
        ledger,
        records["sweep-1"],
        "sweep-run-5",
        "sweep-5",
        "running",
        later.format(2),
        exit_code=None,
        energy_kwh=0.003,
        co2e_kg=0.0002,
    )
    job_id = "torchrun-node0:29500"
    job = add_job(ledger, records["sweep-1"], job_id)
    return Recorded(ledger, records, job, job_id, d)
