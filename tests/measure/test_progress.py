"""The progress-file protocol and the CLI's progress bar."""

from __future__ import annotations

import time

from flopcast.measure import track
from flopcast.measure.progress import read_progress, write_progress


def test_progress_roundtrip_and_garbage(tmp_path):
    p = tmp_path / "p.json"
    assert read_progress(p) is None
    write_progress(p, 12, 100, 3.5e9)
    assert read_progress(p) == {"steps": 12, "total_steps": 100, "flop_per_step": 3.5e9, "figures": {}}
    assert list(tmp_path.iterdir()) == [p]  # the temp file was renamed over, not left behind
    p.write_text("{not json")
    assert read_progress(p) is None
    p.write_text('{"steps": "many"}')
    assert read_progress(p) is None


def test_reported_figures_roundtrip_and_junk_is_dropped(tmp_path):
    p = tmp_path / "p.json"
    write_progress(
        p, 3, None, None, figures={"final_loss": 2.5, "tokens_seen": 96, "model_params": 10, "final_eval_loss": None}
    )
    assert read_progress(p)["figures"] == {"final_loss": 2.5, "tokens_seen": 96, "model_params": 10}
    p.write_text(
        '{"steps": 1, "figures": {"final_loss": "low", "tokens_seen": -1, "model_params": 0.5, '
        '"final_eval_loss": true}}'
    )
    assert read_progress(p)["figures"] == {}


def test_parent_reads_steps_and_program_figures(tmp_path):
    p = tmp_path / "p.json"
    run = track(progress_file=p, ledger=False, interval=0.02)
    with run:
        write_progress(p, 5, 50, 2e9)
        time.sleep(0.1)
    rec = run.result
    assert rec.steps == 5 and rec.total_steps == 50 and rec.flop_per_step == 2e9
    assert {a.name for a in rec.assumptions} >= {"total_steps", "flop_per_step"}
    assert rec.tracker_cpu_seconds >= 0.0


def test_progress_bar_renders_forecast(tmp_path):
    from flopcast.report.track_render import ProgressBar as _Bar

    with track(ledger=False, interval=0.02, total_steps=20) as run:
        bar = _Bar()
        for _ in range(5):
            time.sleep(0.03)
            run.step()
        time.sleep(0.05)
        bar(run)
        task = bar.status
        bar.stop()
    assert task.completed == 5 and task.total == 20
    assert "ETA" in task.info and "energy" in task.info
