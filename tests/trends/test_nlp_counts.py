"""The NLP rows' per-pass FLOP: counted by scripts/count_nlp_rows.py, re-counted here, checked against the papers.

The paper totals are those the script cites: BERT-Base 110M and BERT-Large 340M (Devlin et al. 2018 §3;
google-research/bert@eedf571 README.md), Transformer base 65M and big 213M (Vaswani et al. 2017, Table 3).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from flopcast import data as fdata
from flopcast.trends.data import BENCHMARKS, load_rows, select

pytest.importorskip("torch")
pytest.importorskip("transformers")

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "count_nlp_rows.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("count_nlp_rows", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve the module's annotations through sys.modules
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def _row(bench: str, model: str):
    return next(r for r in load_rows(BENCHMARKS[bench]) if r.model == model)


def test_bert_large_recounts_to_the_csv_value(script):
    counted = script.ARCHS["bert-large-squad"].count()
    row = _row("squad11", "BERT-Large single")
    assert row.forward_flop == pytest.approx(counted.flop, rel=1e-12)
    assert row.forward_flop_source.startswith("GFLOPs counted by flopcast")
    # independently: 24 layers x 384 tokens x (2 x 12 H^2 weights + 2 x 2 x 384 x H attention), H = 1024
    h, n, layers = 1024, 384, 24
    assert counted.flop == layers * n * (2 * 12 * h * h + 4 * n * h)


@pytest.mark.parametrize(
    ("key", "paper", "tolerance"), [("bert-large-squad", 340e6, 0.02), ("bert-base-conll", 110e6, 0.02)]
)
def test_bert_parameters_match_the_paper(script, key, paper, tolerance):
    assert script.ARCHS[key].paper_params == paper
    assert script.ARCHS[key].count().paper_params == pytest.approx(paper, rel=tolerance)


@pytest.mark.parametrize(("key", "paper"), [("transformer-base-en-de", 65e6), ("transformer-big-en-de", 213e6)])
def test_transformer_parameters_match_the_paper(script, key, paper):
    # the paper shares one matrix between both embeddings and the pre-softmax projection; "about 37000" tokens
    assert script.ARCHS[key].count().paper_params == pytest.approx(paper, rel=0.05)


def test_every_counted_row_is_listed_in_the_script_and_flagged(script):
    listed = {(BENCHMARKS_BY_FILE[f], model) for f, model, _ in script.ROWS}
    flagged = {
        (key, r.get("model"))
        for key, b in BENCHMARKS.items()
        for r in fdata.bundled(b.file)
        if "counted" in r.get("flop_flag").split(";")
    }
    assert listed == flagged
    for key, model in listed:
        row = _row(key, model)
        assert row.forward_flop and row.forward_flop_source.startswith("GFLOPs counted by flopcast"), (key, model)


def test_the_script_writes_what_the_csv_holds(script, tmp_path):
    counts = {key: arch.count() for key, arch in script.ARCHS.items() if not key.startswith("luke")}
    luke = _row("squad11", "LUKE single").forward_flop
    counts["luke-large"] = script.Counted(round(luke), 0, 0)  # LUKE runs on real tensors (slow): CSV value
    for file in sorted({f for f, _, _ in script.ROWS}):
        src = fdata.path(f"benchmarks/{file}")
        copy = tmp_path / file
        copy.write_bytes(src.read_bytes())
        script.rewrite(copy, counts, write=True)
        assert copy.read_bytes() == src.read_bytes(), file


def test_per_pass_fits_use_the_counted_rows():
    squad = select(load_rows(BENCHMARKS["squad11"]), "per-pass")
    assert {r.model for r in squad.used} == {"BERT-Large single", "XLNet single", "SpanBERT single", "LUKE single"}
    wmt = select(load_rows(BENCHMARKS["wmt14_en_fr"]), "per-pass")
    assert wmt.n_used == 2  # Base and Big; the arXiv v5+ row of Big is a duplicate


BENCHMARKS_BY_FILE = {Path(b.file).name: key for key, b in BENCHMARKS.items()}
