"""LibriSpeech test-other WER rows: the bundled loader reads them, error is the WER, the fit matches np.polyfit."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from flopcast import data as fdata
from flopcast.errors import DataFormatError
from flopcast.trends.data import get_benchmark, load_rows, select
from flopcast.trends.fit import fit_trend

B = get_benchmark("librispeech")


def _raw() -> list[dict[str, str]]:
    with open(fdata.path(B.file), encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_error_is_the_wer_read_in_the_metric_cell():
    for r, raw in zip(load_rows(B), _raw(), strict=True):
        wer = float(raw["metric"].split("WER ")[2].rstrip("%)"))  # "100 - WER (WER 13.25%)"
        assert r.error_pct == pytest.approx(wer)
        assert r.training_flop_source == "epoch" and r.score_source


def test_a_broken_copy_fails_with_file_line_and_column(tmp_path):
    lines = fdata.path(B.file).read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("extra-data", "extra-dataa", 1)
    bad = tmp_path / "speech.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"speech.csv:4 column 'flags'"):
        load_rows(path=bad)


def test_training_exponent_equals_an_independent_polyfit():
    raw = [r for r in _raw() if r["train_compute_flop"]]
    x = np.log10([float(r["train_compute_flop"]) for r in raw])
    y = np.log10([100.0 - float(r["score"]) for r in raw])
    slope = np.polyfit(x, y, 1)[0]
    sel = select(load_rows(B), "training")
    assert sel.n_used == len(raw) >= 4
    fit = fit_trend([r.training_flop for r in sel.used], [r.error_pct for r in sel.used], "polynomial")
    assert fit.slope == pytest.approx(slope, rel=1e-9)
