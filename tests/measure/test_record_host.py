"""The machine a run ran on (issue 14: codecarbon's cpu_model, ram_total_size, os, python_version), read once at
run start by a real ``flopcast.track()`` run and checked against what this test reads from the same sources."""

from __future__ import annotations

import json
import platform
from importlib import resources
from pathlib import Path

import psutil
import pytest

import flopcast
from flopcast.measure import RunRecord
from flopcast.measure.host import HostFacts, host_facts

HOST_KEYS = ("cpu_model", "ram_total_bytes", "os", "python_version")


def cpuinfo_model_name() -> str | None:
    """The first ``model name`` line of /proc/cpuinfo, read here without flopcast."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "model name" and value.strip():
            return value.strip()
    return None


def test_a_tracked_run_records_this_machine() -> None:
    with flopcast.track(ledger=False, interval=0.02) as run:
        run.step()
    rec = run.result.to_dict()
    model = cpuinfo_model_name()
    if model is not None:
        assert rec["cpu_model"] == model and rec["cpu_model"]
    else:
        assert rec["cpu_model"] is None  # unavailable, not guessed
    assert rec["ram_total_bytes"] == psutil.virtual_memory().total
    assert rec["python_version"] == platform.python_version()
    assert rec["os"] == platform.platform()


def test_the_record_json_holds_the_fields_and_validates() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((resources.files("flopcast") / "data" / "schemas" / "run.1.json").read_text())
    with flopcast.track(ledger=False, interval=0.02) as run:
        run.step()
    d = run.result.to_dict()
    for key in HOST_KEYS:  # a library run without a ledger has command/ledger null, which run.1.json refuses
        jsonschema.validate(d[key], schema["properties"][key])
        jsonschema.validate(None, schema["properties"][key])  # unavailable is allowed
    assert set(HOST_KEYS) <= set(schema["required"]) and set(HOST_KEYS) <= set(d)
    assert RunRecord.from_dict(d) == run.result


def test_an_older_record_reads_back_with_the_machine_unavailable() -> None:
    with flopcast.track(ledger=False, interval=0.02) as run:
        run.step()
    old = {k: v for k, v in run.result.to_dict().items() if k not in HOST_KEYS}
    back = RunRecord.from_dict(old).to_dict()
    assert all(back[k] is None for k in HOST_KEYS)
    assert {k: v for k, v in back.items() if k not in HOST_KEYS} == old


def test_host_facts_unreadable_parts_are_none(monkeypatch) -> None:
    monkeypatch.setattr("flopcast.measure.host.host_cpu", lambda: None)
    monkeypatch.setattr("flopcast.measure.host._ram_total_bytes", lambda: None)
    facts = host_facts()
    assert facts.cpu_model is None and facts.ram_total_bytes is None
    assert facts.python_version == platform.python_version()
    assert HostFacts().fields() == dict.fromkeys(HOST_KEYS)
