"""The NLP rows' per-pass FLOP: counted by scripts/count_nlp_rows.py, re-counted here, checked against the papers.

The paper totals are those the script cites: BERT-Base 110M and BERT-Large 340M (Devlin et al. 2018 §3;
google-research/bert@eedf571 README.md), Transformer base 65M and big 213M (Vaswani et al. 2017, Table 3), Ott et
al.'s Transformer big 210M and Admin's 60L-12L En-De 256M (Papers with Code, as cited in the script and the CSV rows).
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


@pytest.fixture(scope="module")
def count_of(script):
    """Each architecture counted once per module (the recurrent ones take seconds each on meta)."""
    cache: dict = {}

    def get(key: str):
        if key not in cache:
            cache[key] = script.ARCHS[key].count()
        return cache[key]

    return get


def _lstm(inputs: int, hidden: int) -> int:
    """Multiply-adds of one LSTM step in one direction: four gates over [x; h]."""
    return 4 * hidden * (inputs + hidden)


def _row(bench: str, model: str):
    return next(r for r in load_rows(BENCHMARKS[bench]) if r.model == model)


def test_bert_large_recounts_to_the_csv_value(script, count_of):
    counted = count_of("bert-large-squad")
    row = _row("squad11", "BERT-Large single")
    assert row.forward_flop == pytest.approx(counted.flop, rel=1e-12)
    assert row.forward_flop_source.startswith("GFLOPs counted by flopcast")
    # independently: 24 layers x 384 tokens x (2 x 12 H^2 weights + 2 x 2 x 384 x H attention), H = 1024
    h, n, layers = 1024, 384, 24
    assert counted.flop == layers * n * (2 * 12 * h * h + 4 * n * h)


@pytest.mark.parametrize(
    ("key", "paper", "tolerance"), [("bert-large-squad", 340e6, 0.02), ("bert-base-conll", 110e6, 0.02)]
)
def test_bert_parameters_match_the_paper(script, count_of, key, paper, tolerance):
    assert script.ARCHS[key].paper_params == paper
    assert count_of(key).paper_params == pytest.approx(paper, rel=tolerance)


@pytest.mark.parametrize(("key", "paper"), [("transformer-base-en-de", 65e6), ("transformer-big-en-de", 213e6)])
def test_transformer_parameters_match_the_paper(script, count_of, key, paper):
    # the paper shares one matrix between both embeddings and the pre-softmax projection; "about 37000" tokens
    assert count_of(key).paper_params == pytest.approx(paper, rel=0.05)


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


def test_the_script_writes_what_the_csv_holds(script, count_of, tmp_path):
    counts = {key: count_of(key) for key in script.ARCHS if not key.startswith("luke")}
    luke = _row("squad11", "LUKE single").forward_flop
    counts["luke-large"] = script.Counted(round(luke), 0, 0)  # LUKE runs on real tensors (slow): CSV value
    for file in sorted({f for f, _, _ in script.ROWS}):
        src = fdata.path(f"benchmarks/{file}")
        copy = tmp_path / file
        copy.write_bytes(src.read_bytes())
        script.rewrite(copy, counts, write=True)
        assert copy.read_bytes() == src.read_bytes(), file


def _transformer_flop(d: int, ff: int, enc: int, dec: int, vocab: int, n: int = 256) -> int:
    """One sentence pair of n + n tokens: projections 2 x n x weights, attention 2 x 2 x n x n x d, the pre-softmax."""
    enc_layer = 2 * n * (4 * d * d + 2 * d * ff) + 4 * n * n * d
    dec_layer = 2 * n * (8 * d * d + 2 * d * ff) + 8 * n * n * d  # self- and cross-attention over n source tokens
    return enc * enc_layer + dec * dec_layer + 2 * n * d * vocab


@pytest.mark.parametrize(
    ("key", "d", "ff", "enc", "dec", "vocab"),
    [
        ("transformer-big-en-de", 1024, 4096, 6, 6, 37000),
        ("ott-big-en-de", 1024, 4096, 6, 6, 32768),
        ("admin-60-12-en-de", 512, 2048, 60, 12, 32768),
        ("admin-60-12-en-fr", 512, 2048, 60, 12, 40000),
        ("ott-big-en-fr", 1024, 4096, 6, 6, 44512),  # the released checkpoint's joined dictionary (fairseq #3207)
    ],
)
def test_transformer_counts_match_the_closed_form(script, count_of, key, d, ff, enc, dec, vocab):
    assert count_of(key).flop == _transformer_flop(d, ff, enc, dec, vocab)


def _convs2s_flop(layers: list, embed: int, out_embed: int, vocab: int, n: int = 256) -> int:
    """fairseq fconv over n + n tokens: fc1, per layer conv (2 x width out, kernel k) + residual projection where the
    width changes, decoder attention (two projections, two n x n x embed products); encoder fc2, decoder fc2, fc3."""
    ins = [layers[0][0]] + [w for w, _ in layers[:-1]]
    flop = 2 * n * layers[-1][0] * (embed + out_embed) + 2 * n * out_embed * vocab
    for decoder in (False, True):
        flop += 2 * n * embed * layers[0][0]
        for i, (w, k) in zip(ins, layers, strict=True):
            flop += 2 * n * i * 2 * w * k + (2 * n * i * w if i != w else 0)
            flop += (4 * n * w * embed + 4 * n * n * embed) if decoder else 0
    return flop


@pytest.mark.parametrize(
    ("key", "layers"),
    [
        ("convs2s-en-de", [(512, 3)] * 9 + [(1024, 3)] * 4 + [(2048, 1)] * 2),
        ("convs2s-en-fr", [(512, 3)] * 6 + [(768, 3)] * 4 + [(1024, 3)] * 3 + [(2048, 1), (4096, 1)]),
    ],
)
def test_convs2s_counts_match_the_closed_form(script, count_of, key, layers):
    # fairseq@3d262bb2 fairseq/models/fconv.py fconv_wmt_en_de / fconv_wmt_en_fr: embed 768, decoder out 512
    assert count_of(key).flop == _convs2s_flop(layers, 768, 512, 40000)


def _conv_block_flop(offsets: tuple, d: int = 1024, ff: int = 4096, n: int = 256, vocab: int = 32768) -> int:
    """fairseq lightconv-style big model over n + n tokens: 7 encoder, 6 decoder layers (kernels 3, 7, 15, 31...).

    Per layer linear1 (d -> 2d, GLU), the convolution's products (``offsets``: encoder and decoder functions of the
    kernel size), linear2, FFN; decoder encoder-attention (4 projections, two n x n x d products); the pre-softmax.
    """
    enc_k, dec_k = (3, 7, 15, 31, 31, 31, 31), (3, 7, 15, 31, 31, 31)
    block = 2 * n * (2 * d * d + d * d + 2 * d * ff)
    flop = sum(block + offsets[0](k) for k in enc_k) + 2 * n * d * vocab
    return flop + sum(block + offsets[1](k) + 2 * n * 4 * d * d + 4 * n * n * d for k in dec_k)


def test_dynamicconv_and_talk_count_match_the_closed_form(script, count_of):
    # DynamicConv: per position, a kernel of 16 x k weights predicted by a (d -> 16k) Linear, then k multiply-adds per
    # channel (fairseq@3d262bb2 DynamicConv1dTBC._forward_unfolded); TaLK: only its offsets Linear (d -> 2 x 16
    # encoder, 16 decoder) is a product, its windowed sum is elementwise (lioutasb/TaLKConvolutions@4c1f985)
    n, d, h = 256, 1024, 16
    dynamic = (lambda k: 2 * n * d * h * k + 2 * n * d * k,) * 2
    assert count_of("dynamicconv-big-en-de").flop == _conv_block_flop(dynamic)
    assert count_of("dynamicconv-big-en-fr").flop == _conv_block_flop(dynamic, vocab=44512)
    talk = (lambda k: 2 * n * d * 2 * h, lambda k: 2 * n * d * h)
    assert count_of("talk-big-en-de").flop == _conv_block_flop(talk)


@pytest.mark.parametrize(("key", "paper"), [("ott-big-en-de", 210e6), ("admin-60-12-en-de", 256e6)])
def test_fairseq_transformer_parameters_match_the_stated_totals(script, count_of, key, paper):
    # one matrix for both embeddings and the pre-softmax projection (--share-all-embeddings); Admin's depth (60 + 12
    # layers) is what makes 256M: 6 + 6 layers of the same width would be about 61M
    assert script.ARCHS[key].paper_params == paper
    assert count_of(key).paper_params == pytest.approx(paper, rel=0.01)


def _elmo_tagger_flop(tokens: int, chars: int) -> int:
    """The ELMo NER tagger over one sentence, from the sizes alone (bilm-tf@1ffa076 bin/train_elmo.py; allennlp
    ner_elmo.jsonnet): the biLM over tokens + 2 (<S>, </S>) with its char CNN over 50 characters, 2 highway layers
    (2048 -> 4096), the projection (2048 -> 512), 2 layers x 2 directions of an LSTM of 4096 cells projected to 512;
    the tagger's char CNN (128 filters of width 3 over 16-d characters) and its 2-layer BiLSTM of 200 over 1202."""
    filters = ((1, 32), (2, 32), (3, 64), (4, 128), (5, 256), (6, 512), (7, 1024))
    char_cnn = sum(2 * n * w * 16 * (50 - w + 1) for w, n in filters)
    bilm = char_cnn + 2 * 2 * 2048 * 4096 + 2 * 2048 * 512 + 2 * 2 * 2 * (4 * 4096 * (512 + 512) + 4096 * 512)
    tagger = 2 * 128 * 3 * 16 * (chars - 3 + 1) + 2 * 2 * 4 * 200 * ((1202 + 200) + (400 + 200)) + 2 * 400 * 17
    return (tokens + 2) * bilm + tokens * tagger  # 17 BIOUL tags: the label projection


def test_elmo_tagger_count_matches_the_closed_form_and_the_biLM_size(script, count_of):
    counted = count_of("elmo-tagger-conll")
    assert counted.flop == _elmo_tagger_flop(124, 10)  # the longest CoNLL-2003 test sentence, 10-character token
    assert counted.flop == script.count_elmo_tagger(124, 10).flop
    assert script.count_elmo_tagger(10, 5).flop == _elmo_tagger_flop(10, 5)
    # the biLM's parameters against Epoch's 94M for ELMo (the row's params); nn.LSTM carries two bias vectors where
    # allennlp's cell has one, 4 x 16384 more parameters, no FLOP
    assert script.ARCHS["elmo-tagger-conll"].paper_params == 94e6
    assert counted.paper_params == pytest.approx(94e6, rel=0.01)
    assert _row("conll2003", "BiLSTM-CRF+ELMo (Peters et al., 2018)").forward_flop == counted.flop


def _rnmt_flop(n: int = 256, d: int = 1024, heads: int = 4, vocab: int = 32000) -> int:
    """RNMT+ over n + n tokens from the sizes alone (lingvo WmtEnDeRNMT): 6 bidirectional encoder layers of d (the
    first over the embedding, the rest over 2d), a 2d -> d projection; the attention's source and query projections
    (d x d) and per-head additive scorer (d/heads square, shared by the heads), logits and context over n sources per
    head; 8 decoder layers of d over 2d inputs (the bottom one [embedding; context]); the softmax over 2d."""
    a = d // heads
    lstm = lambda inputs: _lstm(inputs, d)  # noqa: E731 (width d)
    encoder = 2 * lstm(d) + 5 * 2 * lstm(2 * d) + 2 * d * d + d * d + heads * a * a
    decoder = 8 * lstm(2 * d) + d * d + heads * a * a + 2 * n * heads * a + 2 * d * vocab
    first = d * d + heads * a * a + 2 * n * heads * a  # lingvo's zero_state: one context for a zero query
    return 2 * n * (encoder + decoder) + 2 * first


def test_rnmt_plus_count_matches_the_closed_form_and_the_paper_size(script, count_of):
    counted = count_of("rnmt-plus-en-de")
    assert counted.flop == _rnmt_flop()
    # Epoch's row 'RNMT+': 378.9M parameters "from Table 3" (the CSV row's params)
    assert script.ARCHS["rnmt-plus-en-de"].paper_params == 378.9e6
    assert counted.paper_params == pytest.approx(378.9e6, rel=1e-3)
    assert _row("wmt14_en_de", "RNMT+ (Chen et al., 2018)").forward_flop == counted.flop


def test_gnmt_count_matches_the_closed_form_and_shazeer_et_al_size(script, count_of):
    # 8 + 8 LSTM layers of 1024 (google/seq2seq docs/results.md), wired as tensorflow/nmt's GNMT: a bidirectional
    # bottom encoder layer (the next one reads 2048), Bahdanau attention from the bottom decoder layer (query and
    # memory layers d x d, the context over n sources; TF's score is a reduce_sum, elementwise), every decoder layer
    # over 2d, the output layer over the top layer's d, 32000 wordpieces
    n, d, vocab = 256, 1024, 32000
    lstm = lambda inputs: _lstm(inputs, d)  # noqa: E731 (width d)
    encoder = 2 * lstm(d) + lstm(2 * d) + 6 * lstm(d) + d * d
    decoder = 8 * lstm(2 * d) + d * d + n * d + d * vocab
    counted = count_of("gnmt")
    assert counted.flop == 2 * n * (encoder + decoder)
    # Shazeer et al. 2017 Tables 2 and 3: GNMT, 278M total parameters (the rows' params)
    assert counted.paper_params == pytest.approx(278e6, rel=0.015)
    for bench in ("wmt14_en_de", "wmt14_en_fr"):
        assert _row(bench, "GNMT (Wu et al., 2016), as reported by Shazeer et al. 2017").forward_flop == counted.flop


def test_lample_and_ma_hovy_counts_match_the_closed_form(script, count_of):
    # Lample et al. (glample/tagger nn.py): per step 3 input x hidden matrices and 5 hidden x hidden ones (no forget
    # gate; peepholes w_ci, w_co are full matrices); character LSTMs of 25 over 25-d characters, forward and reverse,
    # every word padded to the sentence's longest (10); word LSTMs of 100 over 150, tanh layer 200 -> 100, 17 tags
    n, chars = 124, 10
    lstm = lambda inputs, hidden: 3 * inputs * hidden + 5 * hidden * hidden  # noqa: E731
    lample = 2 * 2 * n * chars * lstm(25, 25) + 2 * 2 * n * lstm(150, 100) + 2 * n * (200 * 100 + 100 * 17)
    assert count_of("lample-lstm-crf-conll").flop == lample
    # Ma & Hovy (LasagneNLP): 30 filters of width 3 over 30-d characters, 'full' padding over 45 characters (47
    # positions); a BiLSTM of 200 over 130 (no peepholes); the CRF layer's 400 -> 18 x 18 pair energies
    ma_hovy = 2 * n * 47 * 3 * 30 * 30 + 2 * 2 * n * 4 * 200 * (130 + 200) + 2 * n * 400 * 18 * 18
    assert count_of("ma-hovy-bilstm-cnn-crf-conll").flop == ma_hovy
    assert script.count_lample(7, 4).flop == 2 * 2 * 7 * 4 * lstm(25, 25) + 2 * 2 * 7 * lstm(150, 100) + 2 * 7 * (
        200 * 100 + 100 * 17
    )


def test_character_level_taggers_match_the_closed_form(count_of):
    # the longest CoNLL-2003 test sentence: W = 124 tokens, C = 370 characters, its longest token 10 characters
    w, c = 124, 370
    # LM-LSTM-CRF (train_wc.py defaults): two one-way character LSTMs of 300 over C + W + 2 characters, a highway
    # (two 600 x 600) and a BiLSTM of 150 per direction over 700 at W + 1 words, CRF_L 300 -> 19 x 19
    lm = 2 * (c + w + 2) * _lstm(30, 300) + (w + 1) * (2 * 600 * 600 + 2 * _lstm(700, 150) + 300 * 19 * 19)
    assert count_of("lm-lstm-crf-conll").flop == 2 * lm
    # NCRF++ (demo.train.config): 50 filters of width 3 over 30-d characters (padding 1: 10 positions), a BiLSTM of
    # 100 per direction over [50-d words; 50], hidden2tag 200 -> 20
    ncrf = w * (10 * 3 * 30 * 50 + 2 * _lstm(100, 100) + 200 * 20)
    assert count_of("ncrfpp-conll").flop == 2 * ncrf
    # Flair (v0.2.0): two character LMs of 2048 over C + W + 1 characters with their 300-way decoders, embedding2nn
    # over [100; 2048; 2048] = 4196, a BiLSTM of 256, linear 512 -> 20
    chars = c + w + 1
    flair = 2 * chars * (_lstm(100, 2048) + 2048 * 300) + w * (4196 * 4196 + 2 * _lstm(4196, 256) + 512 * 20)
    assert count_of("flair-conll").flop == 2 * flair
    assert count_of("crossweigh-flair-conll").flop == 2 * flair  # the same tagger, trained by CrossWeigh


def test_per_pass_fits_use_the_counted_rows():
    conll = select(load_rows(BENCHMARKS["conll2003"]), "per-pass")
    assert {r.model for r in conll.used} == {
        "LSTM-CRF (Lample et al., 2016)",
        "Ma and Hovy (2016)",
        "LM-LSTM-CRF (Liu et al., 2018)",
        "NCRF++ (Yang and Zhang, 2018)",
        "Flair embeddings (Akbik et al., 2018)",
        "CrossWeigh + Flair (Wang et al., 2019)",
        "BiLSTM-CRF+ELMo (Peters et al., 2018)",
        "BERT Large (Devlin et al., 2018)",
        "BERT Base (Devlin et al., 2018)",
        "LUKE (Yamada et al., 2020)",
    }
    squad = select(load_rows(BENCHMARKS["squad11"]), "per-pass")
    assert {r.model for r in squad.used} == {"BERT-Large single", "XLNet single", "SpanBERT single", "LUKE single"}
    fr = select(load_rows(BENCHMARKS["wmt14_en_fr"]), "per-pass")
    # Base, Big, ConvS2S, Admin; the arXiv v5+ row of Big is a duplicate
    assert {r.model for r in fr.used} == {
        "Transformer Base (Vaswani et al., 2017)",
        "Transformer Big (Vaswani et al., 2017)",
        "ConvS2S (Gehring et al., 2017)",
        "Transformer Big (Ott et al., 2018)",
        "DynamicConv (Wu et al., 2019)",
        "Admin (Liu et al., 2020)",
        "GNMT (Wu et al., 2016), as reported by Shazeer et al. 2017",
    }
    de = select(load_rows(BENCHMARKS["wmt14_en_de"]), "per-pass")
    # the fairseq reproduction of Ott et al. is a duplicate of the Ott et al. row
    assert {r.model for r in de.used} == {
        "Transformer Base (Vaswani et al., 2017)",
        "Transformer Big (Vaswani et al., 2017)",
        "ConvS2S (Gehring et al., 2017)",
        "Transformer Big (Ott et al., 2018)",
        "Transformer Big + BT (Edunov et al., 2018)",
        "DynamicConv (Wu et al., 2019)",
        "TaLK Convolutions (Lioutas et al., 2020)",
        "RNMT+ (Chen et al., 2018)",
        "Admin (Liu et al., 2020)",
        "GNMT (Wu et al., 2016), as reported by Shazeer et al. 2017",
    }


BENCHMARKS_BY_FILE = {Path(b.file).name: key for key, b in BENCHMARKS.items()}
