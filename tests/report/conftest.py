"""The session's ledger for report tests: four real runs (one failed, one named like an XSS probe) and a job."""

from __future__ import annotations

import pytest

from .helpers import XSS, Recorded, add_job, track


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
    job_id = "torchrun-node0:29500"
    job = add_job(ledger, records["sweep-1"], job_id)
    return Recorded(ledger, records, job, job_id, d)
