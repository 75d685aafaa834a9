"""Bundled benchmark rows: sources present, measures derived as the README says, rows selected honestly."""

from __future__ import annotations

import pytest

from flopcast import data as fdata
from flopcast.errors import DataFormatError, InputError, UnknownNameError
from flopcast.hardware import default_training_precision, get_accelerator
from flopcast.trends.data import (
    BENCHMARKS,
    VOCABULARIES,
    canonical_split,
    decimal_year,
    get_benchmark,
    load_rows,
    select,
)
from flopcast.trends.time import compute_trend, doubling_time_years


@pytest.fixture(scope="module")
def rows():
    return {k: load_rows(b) for k, b in BENCHMARKS.items()}


def _row(rows, bench, model):
    return next(r for r in rows[bench] if r.model == model)


def test_every_bundled_row_loads_with_its_source(rows):
    for key, rs in rows.items():
        raw = fdata.read_csv(fdata.path(BENCHMARKS[key].file))
        assert len(rs) == len(raw) > (4 if key == "librispeech" else 10)  # LibriSpeech: 5 rows with Epoch compute
        for r in rs:
            assert r.score_source.strip(), (key, r.model)
            assert 0 < r.error_pct < 100
            if r.training_flop_source == "epoch":
                assert "Epoch" in r.compute_source, (key, r.model)


def test_unverified_rows_never_enter(rows):
    unverified = {
        (r.get("benchmark"), r.get("model")) for r in fdata.read_csv(fdata.path("benchmarks/unverified_rows.csv"))
    }
    loaded = {(k, r.model) for k, rs in rows.items() for r in rs}
    assert unverified and not unverified & loaded


def test_vision_gflops_are_multiply_adds(rows):
    # ResNet-50 ~4.1 GMACs (ResNeXt README) -> 8.2e9 FLOP; EfficientNet-B7 37B multiply-adds -> 7.4e10 FLOP
    assert _row(rows, "imagenet", "ResNet-50").forward_flop == pytest.approx(8.2e9)
    assert _row(rows, "imagenet", "EfficientNet-B7 (arXiv v1)").forward_flop == pytest.approx(7.4e10)
    assert _row(rows, "coco", "EfficientDet-D0").forward_flop == pytest.approx(2 * 2.54e9)


def test_hardware_burden_is_chips_times_peak_times_hours(rows):
    r = _row(rows, "coco", "Detectron Faster R-CNN R-50-C4 1x")  # 8 x P100 for 28.3 h
    acc = get_accelerator("NVIDIA Tesla P100 16GB")
    assert r.training_flop == pytest.approx(8 * acc.peak(default_training_precision(acc)) * 28.3 * 3600)
    assert r.training_flop_source.startswith("hardware burden")


def test_flagged_epoch_values_are_replaced_by_the_hardware_burden(rows):
    elmo = _row(rows, "conll2003", "BiLSTM-CRF+ELMo (Peters et al., 2018)")  # Epoch says 3.3e15: implausible
    assert elmo.training_flop_source.startswith("hardware burden")
    assert elmo.training_flop > 1e18
    convs2s = _row(rows, "wmt14_en_de", "ConvS2S (Gehring et al., 2017)")  # Epoch value = 8-model ensemble
    assert convs2s.training_flop_source.startswith("hardware burden")
    alexnet = _row(rows, "imagenet", "AlexNet (7-CNN ensemble)")
    assert alexnet.training_flop == 4.7e17 and alexnet.training_flop_source == "epoch"
    assert "ensemble" in alexnet.flags


def test_params_per_pass_is_opt_in_dense_nlp_only(rows):
    # rows without gflops_forward have no per-pass FLOP unless asked (the counted rows: tests/trends/test_nlp_counts.py)
    raw = {r.get("model"): r for r in fdata.bundled(BENCHMARKS["squad11"].file)}
    assert all(r.forward_flop is None for r in rows["squad11"] if not raw[r.model].get("gflops_forward"))
    est = {r.model: r for r in load_rows(BENCHMARKS["wmt14_en_de"], params_per_pass=True)}
    assert est["Transformer Big (Vaswani et al., 2017)"].forward_flop == pytest.approx(2 * 213e6)
    assert est["Transformer Big (Vaswani et al., 2017)"].forward_flop_source.startswith("2 x params")
    assert est["MoE (Shazeer et al., 2017)"].forward_flop is None  # sparse: 2N overstates, per the notes
    vision = {r.model: r for r in load_rows(BENCHMARKS["imagenet"], params_per_pass=True)}
    assert vision["AlexNet (7-CNN ensemble)"].forward_flop is None  # convolutions reuse weights: 2N is wrong


def test_selection_one_row_per_model_one_split(rows):
    sel = select(rows["wmt14_en_fr"], "training")
    used = {r.model for r in sel.used}
    reasons = dict((r.model, why) for r, why in sel.skipped)
    assert "Transformer Big (Vaswani et al., 2017)" in used
    assert "duplicate" in reasons["Transformer Big (Vaswani et al., 2017; arXiv v5+)"]
    assert "commercial" in reasons["DeepL"]
    assert sel.n_used + len(sel.skipped) == len(rows["wmt14_en_fr"])
    coco = select(rows["coco"], "training")
    assert coco.split == "val" and all(canonical_split(r.split) == "val" for r in coco.used)
    assert any("split" in why for _, why in coco.skipped)


def test_frontier_keeps_only_best_to_date(rows):
    sel = select(rows["imagenet"], "per-pass", frontier=True)
    best = 100.0
    for r in sorted(sel.used, key=lambda r: r.year):
        assert r.error_pct < best
        best = r.error_pct
    assert 3 <= sel.n_used < select(rows["imagenet"], "per-pass").n_used


def test_dates_and_names():
    assert decimal_year("2017-06") == pytest.approx(2017 + 5.5 / 12)
    assert decimal_year("2018") == 2018.5
    assert decimal_year("June 2017") is None
    assert get_benchmark("ImageNet").key == "imagenet"
    assert get_benchmark("squad").key == "squad11"
    with pytest.raises(UnknownNameError, match="imagenet"):
        get_benchmark("imagenot")


def _write(tmp_path, text):
    p = tmp_path / "mine.csv"
    p.write_text(text)
    return p


def test_user_csv_errors_name_file_line_and_column(tmp_path):
    with pytest.raises(DataFormatError, match=r"mine.csv:1: missing column\(s\) 'score'"):
        load_rows(path=_write(tmp_path, "model,gflops_forward\na,1\n"))
    with pytest.raises(DataFormatError, match=r"mine.csv:3 column 'score': 'high' is not a number"):
        load_rows(path=_write(tmp_path, "model,score\na,50\nb,high\n"))
    with pytest.raises(DataFormatError, match=r"mine.csv:2 column 'score': '120' is above 100"):
        load_rows(path=_write(tmp_path, "model,score\na,120\n"))
    with pytest.raises(DataFormatError, match=r"column 'date'"):
        load_rows(path=_write(tmp_path, "model,score,date\na,50,June\n"))
    with pytest.raises(InputError, match="no such file"):
        load_rows(path=tmp_path / "absent.csv")


def test_compute_trend_doubling_times():
    assert doubling_time_years(0.30103) == pytest.approx(1.0, rel=1e-4)
    t = compute_trend()
    eras = {(e.series, e.start_year < 2012): e for e in t.eras}
    before, after = eras[("training compute", True)], eras[("training compute", False)]
    # the deep-learning era's compute doubles far faster than before 2012 and faster than fp32 chip peaks
    assert after.doubling_months < before.doubling_months / 2
    assert after.doubling_months < eras[("hardware peak fp32 (best chip per year)", False)].doubling_months
    assert after.fit.n > 500 and before.fit.n > 30


# Row annotations: which bundled rows carry each value. These are the rows the notes regexes matched before the
# columns replaced them (flopcast trends --json byte-identical across that change); a new value here is a new fact.
ANNOTATED = {
    ("exclude_reason", "duplicate"): {
        ("wmt14_en_de", "Transformer Big (Ott et al., 2018), fairseq reproduction"),
        ("wmt14_en_fr", "Transformer Big (Vaswani et al., 2017; arXiv v5+)"),
    },
    ("exclude_reason", "rescore"): {("wmt14_en_fr", "ConvS2S (fconv) fairseq pretrained wmt14.v2.en-fr")},
    ("exclude_reason", "commercial"): {("wmt14_en_de", "DeepL"), ("wmt14_en_fr", "DeepL")},
    ("flop_flag", "epoch-implausible"): {("conll2003", "BiLSTM-CRF+ELMo (Peters et al., 2018)")},
    ("flop_flag", "epoch-ensemble"): {
        ("wmt14_en_de", "ConvS2S (Gehring et al., 2017)"),
        ("wmt14_en_fr", "ConvS2S (Gehring et al., 2017)"),
    },
    ("flop_flag", "sparse"): {
        ("wmt14_en_de", "MoE (Shazeer et al., 2017)"),
        ("wmt14_en_fr", "MoE (Shazeer et al., 2017)"),
    },
}


def test_row_annotations_are_explicit_columns():
    found: dict[tuple[str, str], set[tuple[str, str]]] = {}
    counts: dict[str, int] = {}
    for key, b in BENCHMARKS.items():
        for r in fdata.bundled(b.file):
            for column in ("exclude_reason", "flop_flag", "flags"):
                for value in filter(None, r.get(column).split(";")):
                    found.setdefault((column, value), set()).add((key, r.get("model")))
                    counts[value] = counts.get(value, 0) + 1
    assert {k: v for k, v in found.items() if k[0] != "flags" and k[1] != "counted"} == ANNOTATED
    # LibriSpeech adds 5 extra-data rows (all but none train on LibriSpeech alone) and 2 secondary scores
    assert counts["ensemble"] == 3 and counts["extra-data"] == 22 + 5 and counts["secondary"] == 4 + 2
    assert all(value in VOCABULARIES[column] for column, value in found)


EDUNOV = "Transformer Big + BT (Edunov et al., 2018)"


def test_back_translation_rows_are_extra_data_and_leave_the_fit_on_request(rows):
    # Edunov et al. 2018 train on the parallel data plus back-translated monolingual text (ACL Anthology D18-1045
    # abstract; fairseq@3d262bb2 examples/backtranslation/README.md step 3, "combined parallel + BT data")
    for bench in ("wmt14_en_de", "wmt14_en_fr"):
        r = _row(rows, bench, EDUNOV)
        assert r.flags == ("extra data",) and r.train_precision == "mixed", bench
        kept, dropped = select(rows[bench], "training"), select(rows[bench], "training", exclude_flagged=True)
        assert r in kept.used and r not in dropped.used
        assert len(dropped.used) == len(kept.used) - 1 - sum("ensemble" in u.flags for u in kept.used)


def test_every_epoch_training_flop_equals_the_bundled_epoch_row_it_names():
    # a row's train_compute_flop comes from the Epoch row its compute_source names ("[row 'NAME'"): the bundled
    # snapshot (data/epoch/ml_systems.csv) must hold the same value, so a typed or stale figure fails here
    epoch = {r.get("Model"): r.get("Training compute (FLOP)") for r in fdata.bundled("epoch/ml_systems.csv")}
    checked = 0
    for b in BENCHMARKS.values():
        for r in fdata.bundled(b.file):
            if not r.get("train_compute_flop"):
                continue
            name = r.get("compute_source").split("[row '", 1)[1].split("'", 1)[0]
            assert float(r.get("train_compute_flop")) == pytest.approx(float(epoch[name]), rel=1e-12), r.get("model")
            checked += 1
    assert checked >= 37  # 36 before the Transformer + SRU row (WMT En-De) was added


def test_an_unknown_annotation_is_a_one_line_error_naming_file_line_and_column(tmp_path):
    text = "model,score,flags\na,50,ensemble\nb,60,extra-data;ensembel\n"
    with pytest.raises(DataFormatError, match=r"mine.csv:3 column 'flags': unknown value 'ensembel'") as err:
        load_rows(path=_write(tmp_path, text))
    assert "\n" not in str(err.value)
    with pytest.raises(DataFormatError, match=r"mine.csv:2 column 'exclude_reason': unknown value 'dup'"):
        load_rows(path=_write(tmp_path, "model,score,exclude_reason\na,50,dup\n"))
    with pytest.raises(DataFormatError, match=r"mine.csv:2 column 'flop_flag': unknown value 'do not use that FLOP'"):
        load_rows(path=_write(tmp_path, "model,score,flop_flag\na,50,do not use that FLOP\n"))


def test_annotations_act_and_notes_do_not(tmp_path):
    text = (
        "model,score,date,params,train_compute_flop,train_hardware,train_chips,train_hours,notes,flags,exclude_reason,flop_flag\n"
        "a,50,2018,1e8,1e18,,,,duplicate; do not use that FLOP; ensemble; overstates forward FLOP,,,\n"
        "b,60,2019,1e8,1e18,NVIDIA V100,8,10,,Extra-Data; ensemble,,epoch-implausible;sparse\n"
        "c,70,2020,1e8,1e18,,,,,secondary,commercial,\n"
    )
    a, b, c = load_rows(path=_write(tmp_path, text), params_per_pass=True)
    assert a.flags == () and a.skip_reason is None and a.training_flop_source == "epoch"
    assert a.forward_flop == pytest.approx(2e8)  # free-text notes are never read
    assert b.flags == ("ensemble", "extra data")  # vocabulary order, case-insensitive
    assert b.training_flop_source.startswith("hardware burden") and b.forward_flop is None
    assert c.flags == ("secondary",) and c.skip_reason == "commercial system, not a published model"
