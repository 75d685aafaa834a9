"""Count the per-pass forward FLOP of the NLP benchmark rows whose architecture can be built from what was read.

Fills ``gflops_forward`` (GFLOPs = flopcast ``forward_flop`` / 1e9), ``flops_unit_note``, ``flop_flag``
(``counted``) and a citation in ``compute_source`` of the rows listed in :data:`ROWS`, in
``src/flopcast/data/benchmarks/*.csv``. Models are built by transformers (BERT, XLNet, LUKE; FSMT for the
Transformers) or, for ConvS2S, DynamicConv, TaLK, RNMT+, GNMT and the CoNLL taggers, from torch.nn modules as their
code builds them. Every hyperparameter and input length below is cited where it is set; the convention is documented in
``src/flopcast/data/benchmarks/README.md`` ("Per-pass FLOP of NLP rows").

    python scripts/count_nlp_rows.py            # print the counts and what would change
    python scripts/count_nlp_rows.py --write    # write them into the CSVs

Counting: :func:`flopcast.count` over one forward pass, on the meta device (no weights) except LUKE, whose
transformers forward reads mask values and so runs on real CPU tensors with its two embedding tables shrunk
(a lookup costs 0 FLOP in flopcast's convention, so the table size does not change the count; its parameter
count is taken from the full-size meta build). Task heads (SQuAD's span classifier, NER's label classifier:
hidden size x 2 or x the label count per token, each under 0.01% of the pass) are not counted; the CoNLL taggers'
output layers are (a sizeable part of a small tagger's pass; their unit note says so).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "src" / "flopcast" / "data" / "benchmarks"

# --- Architectures (what was read) -------------------------------------------------------------------------------
# BERT: Devlin et al. 2018 (arXiv:1810.04805) §3: BERT-Base L=12, H=768, A=12, 110M; BERT-Large L=24, H=1024, A=16,
#   340M; footnote: "we set the feed-forward/filter size to be 4H, i.e., 3072 for the H = 768 and 4096 for the
#   H = 1024" (read in public copies of the paper's text); google-research/bert@eedf571 README.md: "24-layer,
#   1024-hidden, 16-heads, 340M parameters" / "12-layer, 768-hidden, 12-heads, 110M parameters". Vocabulary 30522:
#   transformers BertConfig docstring (defaults = google-bert/bert-base-uncased).
BERT_SOURCE = "Devlin et al. 2018 §3 (L, H, A, 4H feed-forward); google-research/bert@eedf571 README.md model list"
BERT_BASE = {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072}
BERT_LARGE = {"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16, "intermediate_size": 4096}
# XLNet-Large: zihangdai/xlnet@bbaa3a6 README.md "XLNet-Large, Cased: 24-layer, 1024-hidden, 16-heads"; transformers
#   XLNetConfig docstring: defaults = xlnet/xlnet-large-cased (vocab 32000, d_model 1024, n_layer 24, n_head 16,
#   d_inner 4096).
XLNET_SOURCE = "zihangdai/xlnet@bbaa3a6 README.md (24-layer, 1024-hidden, 16-heads); XLNetConfig defaults"
XLNET_LARGE = {"d_model": 1024, "n_layer": 24, "n_head": 16, "d_inner": 4096, "vocab_size": 32000}
# SpanBERT (large): facebookresearch/SpanBERT@0670d8b README.md: "The base & large models have the same model
#   configuration as BERT"; "SpanBERT (large & cased): 24-layer, 1024-hidden, 16-heads, 340M parameters".
SPANBERT_SOURCE = (
    "facebookresearch/SpanBERT@0670d8b README.md (same configuration as BERT; 24-layer, 1024-hidden, 16-heads)"
)
# LUKE (large): studio-ousia/luke@2516545 examples/legacy/README.md: LUKE-500K (large), base model roberta.large,
#   entity vocab 500K, 484 M params; model card studio-ousia/luke-large: "24 hidden layers, 1024 hidden size ...
#   483M"; transformers LukeConfig docstring: entity_emb_size 256, vocab 50267 (defaults = studio-ousia/luke-base,
#   the base size; large takes RoBERTa-large's 16 heads and 4096 feed-forward, as BERT-Large).
LUKE_SOURCE = (
    "studio-ousia/luke@2516545 examples/legacy/README.md (LUKE-500K large: roberta.large, 500K entities, 484 M); "
    "LukeConfig defaults (entity_emb_size 256)"
)
LUKE_LARGE = {
    "hidden_size": 1024,
    "num_hidden_layers": 24,
    "num_attention_heads": 16,
    "intermediate_size": 4096,
    "vocab_size": 50267,
    "entity_vocab_size": 500000,
    "entity_emb_size": 256,
}
# Transformer (Vaswani et al. 2017, arXiv:1706.03762): §3.1 N = 6 encoder and decoder layers; §3.2.2 h = 8,
#   d_k = d_v = 64; §3.3 d_model = 512, d_ff = 2048, ReLU; §3.4 one weight matrix shared by both embeddings and the
#   pre-softmax projection; §5.1 "shared source-target vocabulary of about 37000 tokens" (En-De, BPE) and "a 32000
#   word-piece vocabulary" (En-Fr); Table 3: base 65M params, big N=6, d_model 1024, d_ff 4096, h 16, 213M (read
#   in public copies of the paper's text). Same sizes in the paper's code, tensorflow/tensor2tensor@bafdc1b6
#   tensor2tensor/models/transformer.py: transformer_base_v1 (hidden_size 512, num_hidden_layers 6, filter_size
#   2048, num_heads 8, shared_embedding_and_softmax_weights True) and transformer_big (1024, 4096, 16).
TRANSFORMER_SOURCE = (
    "Vaswani et al. 2017 §3.1-3.4, §5.1 (vocabulary), Table 3; tensorflow/tensor2tensor@bafdc1b6 "
    "transformer_base_v1 / transformer_big"
)
TRANSFORMER_BASE = {"d_model": 512, "ffn_dim": 2048, "heads": 8}
TRANSFORMER_BIG = {"d_model": 1024, "ffn_dim": 4096, "heads": 16}
TRANSFORMER_LAYERS = 6
VOCAB_EN_DE, VOCAB_EN_FR = 37000, 32000
# fairseq (facebookresearch/fairseq@3d262bb2), the code of Ott et al. 2018, Edunov et al. 2018 and (as its base) Admin:
#   fairseq/models/transformer/transformer_legacy.py: base_architecture (encoder_embed_dim 512, encoder_ffn_embed_dim
#   2048, encoder_layers 6, encoder_attention_heads 8, the decoder the same; transformer_wmt_en_de = base_architecture)
#   and transformer_vaswani_wmt_en_de_big (1024, 4096, 16 heads, 6 layers; transformer_wmt_en_de_big adds only an
#   attention dropout): the same sizes as TRANSFORMER_BASE / TRANSFORMER_BIG, post-LN, ReLU.
FAIRSEQ_SOURCE = "facebookresearch/fairseq@3d262bb2 fairseq/models/transformer/transformer_legacy.py"
# Ott et al. 2018 (Scaling NMT): fairseq@3d262bb2 examples/scaling_nmt/README.md, "Training a new model on WMT'16
#   En-De": fairseq-preprocess --nwordssrc 32768 --nwordstgt 32768 --joined-dictionary (BPE 32000 data), then
#   fairseq-train --arch transformer_vaswani_wmt_en_de_big --share-all-embeddings.
OTT_SOURCE = f"{FAIRSEQ_SOURCE} transformer_vaswani_wmt_en_de_big; fairseq@3d262bb2 examples/scaling_nmt/README.md"
VOCAB_OTT_EN_DE = 32768
VOCAB_OTT_CITE = (
    "fairseq@3d262bb2 examples/scaling_nmt/README.md: --nwordssrc 32768 --nwordstgt 32768 --joined-dictionary"
)
# Edunov et al. 2018 (back-translation): fairseq@3d262bb2 examples/backtranslation/README.md ("can be adapted to
#   reproduce the models from the paper"): fairseq-train --arch transformer_wmt_en_de_big --share-all-embeddings on
#   data from examples/backtranslation/prepare-wmt18en2de.sh, BPE_TOKENS=32000 (joined dictionary). 32000 is the
#   number of BPE merges: the dictionary also holds the characters and fairseq's 4 special symbols (not read).
EDUNOV_SOURCE = (
    f"{FAIRSEQ_SOURCE} transformer_wmt_en_de_big; fairseq@3d262bb2 examples/backtranslation/README.md and "
    "prepare-wmt18en2de.sh"
)
VOCAB_EDUNOV_EN_DE = 32000
VOCAB_EDUNOV_CITE = "fairseq@3d262bb2 examples/backtranslation/prepare-wmt18en2de.sh: BPE_TOKENS=32000 merges"
# Admin (Liu et al. 2020): 60 encoder and 12 decoder layers of transformer_wmt_en_de (the base sizes).
#   En-Fr 43.8 (arXiv:2004.08249, the row's paper): its code LiyuanLucasLiu/Transformer-Clinic@18f41912
#   nmt-experiments/wmt14_en-fr.md "admin 60-12l": --arch transformer_wmt_en_de --share-all-embeddings
#   --encoder-layers 60 --decoder-layers 12, on data from pre-process/wmt14en-fr.sh (@d68ba499): BPE_TOKENS=40000,
#   --joined-dictionary. The same depth in microsoft/deepnmt@5b858684 run_wmt14_en_fr.sh (ELAYER=60, DLAYER=12,
#   adv_transformer_wmt_en_de), the code of arXiv:2008.07772.
#   En-De 30.1 (arXiv:2008.07772): its abstract, "up to 60 encoder layers and 12 decoder layers" and 30.1 on WMT14
#   En-De; microsoft/deepnmt@02820e59 README.md: data preprocessed as fairseq's examples/scaling_nmt (32768 joined
#   dictionary, above). The depth is confirmed by the parameter count: Papers with Code lists "Number of Params 256M"
#   for the 30.1 model (paperswithcode.com/paper/very-deep-transformers-for-neural-machine); this build has 256.4M
#   (one shared embedding matrix, as --share-all-embeddings).
ADMIN_SOURCE = (
    f"{FAIRSEQ_SOURCE} transformer_wmt_en_de; LiyuanLucasLiu/Transformer-Clinic@18f41912 nmt-experiments/"
    "wmt14_en-fr.md (admin 60-12l: --encoder-layers 60 --decoder-layers 12); microsoft/deepnmt@5b858684 "
    "run_wmt14_en_fr.sh; arXiv:2008.07772 abstract (60 encoder, 12 decoder layers)"
)
ADMIN_60_12 = {**TRANSFORMER_BASE, "encoder_layers": 60, "decoder_layers": 12}
VOCAB_ADMIN_EN_FR = 40000
VOCAB_ADMIN_EN_FR_CITE = "Transformer-Clinic@d68ba499 pre-process/wmt14en-fr.sh: BPE_TOKENS=40000 merges"
VOCAB_ADMIN_EN_DE_CITE = "microsoft/deepnmt@02820e59 README.md: data as fairseq examples/scaling_nmt, 32768 dictionary"
# ConvS2S (Gehring et al. 2017): fairseq@3d262bb2 fairseq/models/fconv.py, fconv_wmt_en_de: 9 layers (512 units,
#   kernel 3), 4 (1024, 3), 2 (2048, 1) in encoder and decoder; fconv_wmt_en_fr: 6 (512, 3), 4 (768, 3), 3 (1024, 3),
#   1 (2048, 1), 1 (4096, 1); both embed_dim 768, decoder_out_embed_dim 512, attention in every decoder layer, no
#   shared output embedding (base_architecture). examples/translation/README.md: these architectures on
#   prepare-wmt14en2de.sh (--icml17 "to replicate results obtained in the original [Gehring et al.] paper") and
#   prepare-wmt14en2fr.sh, both BPE_TOKENS=40000 (merges; separate source and target dictionaries).
CONVS2S_SOURCE = (
    "facebookresearch/fairseq@3d262bb2 fairseq/models/fconv.py fconv_wmt_en_de / fconv_wmt_en_fr; "
    "examples/translation/README.md"
)
CONVS2S_EN_DE = {"layers": [(512, 3)] * 9 + [(1024, 3)] * 4 + [(2048, 1)] * 2, "embed": 768, "out_embed": 512}
CONVS2S_EN_FR = {
    "layers": [(512, 3)] * 6 + [(768, 3)] * 4 + [(1024, 3)] * 3 + [(2048, 1)] + [(4096, 1)],
    "embed": 768,
    "out_embed": 512,
}
VOCAB_CONVS2S = 40000
VOCAB_CONVS2S_CITE = (
    "fairseq@3d262bb2 examples/translation/prepare-wmt14en2de.sh / prepare-wmt14en2fr.sh: BPE_TOKENS=40000 merges"
)

# DynamicConv (Wu et al. 2019, arXiv:1901.10430), the paper's code: fairseq@3d262bb2 fairseq/models/lightconv.py
#   lightconv_wmt_en_de_big: encoder/decoder embed 1024, ffn 4096, 16 heads (the "heads" of the convolution: its
#   kernels are shared across the 64 channels of a head), on base_architecture: 7 encoder layers with kernel sizes
#   [3, 7, 15, 31, 31, 31, 31], 6 decoder layers with [3, 7, 15, 31, 31, 31], conv_dim = embed_dim, encoder_glu and
#   decoder_glu True (linear1: embed -> 2 x conv_dim, then GLU), linear2 conv_dim -> embed, post-LN, ReLU FFN;
#   each decoder layer also has encoder attention (fairseq MultiheadAttention, 16 heads). fairseq/modules/
#   dynamic_convolution.py DynamicConv1dTBC: weight_linear = Linear(input_size, num_heads * kernel_size, bias=False)
#   predicts each position's kernels from that position's input; softmax over the kernel (--weight-softmax default
#   True); the decoder's convolution is causal (padding_l = kernel_size - 1), the encoder's centred (kernel // 2).
#   examples/pay_less_attention_paper/README.md, "WMT16 En-De": fairseq-train data-bin/wmt16_en_de_bpe32k
#   --share-all-embeddings --arch lightconv_wmt_en_de_big --encoder-glu 1 --decoder-glu 1; that data directory is
#   examples/scaling_nmt/README.md's (--nwordssrc 32768 --nwordstgt 32768 --joined-dictionary: VOCAB_OTT_EN_DE).
#   Counted as the convolution's algorithm, DynamicConv1dTBC._forward_unfolded: K multiply-adds per channel and
#   position (fairseq runs it for sequences over 512 and in incremental decoding; for shorter training batches it
#   runs _forward_expanded, the same result through a T x T band matrix per head, more arithmetic for speed).
DYNAMICCONV_SOURCE = (
    "facebookresearch/fairseq@3d262bb2 fairseq/models/lightconv.py lightconv_wmt_en_de_big, "
    "fairseq/modules/dynamic_convolution.py DynamicConv1dTBC; examples/pay_less_attention_paper/README.md"
)
DYNAMICCONV_BIG = {
    "d_model": 1024,
    "ffn_dim": 4096,
    "heads": 16,
    "encoder_kernels": (3, 7, 15, 31, 31, 31, 31),
    "decoder_kernels": (3, 7, 15, 31, 31, 31),
}
VOCAB_DYNAMICCONV_CITE = (
    "fairseq@3d262bb2 examples/pay_less_attention_paper/README.md: data-bin/wmt16_en_de_bpe32k, built in "
    "examples/scaling_nmt/README.md with --nwordssrc 32768 --nwordstgt 32768 --joined-dictionary"
)

# TaLK Convolutions (Lioutas & Guo 2020, arXiv:2002.03184), the paper's code: lioutasb/TaLKConvolutions@4c1f985
#   talkconv/talkconv_fairseq/talkconv.py talkconv_wmt_en_de_big: 7 encoder layers (kernel sizes, here the minimum
#   window half-widths, [3, 7, 15, 31, 31, 31, 31]), 6 decoder layers ([3, 7, 15, 31, 31, 31]), embed 1024, ffn 4096,
#   16 heads, GLU (base_architecture: encoder_glu, decoder_glu True; linear1 embed -> 2 x conv_dim), linear2, post-LN,
#   swish FFN, decoder encoder-attention (fairseq MultiheadAttention), output by the shared embedding
#   (--share-all-embeddings sets share_decoder_input_output_embed); talkconv_module.py TaLKConv: offsets =
#   Linear(hid_dim, 2 x heads) (encoder) / Linear(hid_dim, heads) (decoder). README.md@501a457, "WMT16 En-De":
#   fairseq-train data-bin/wmt16_en_de_bpe32k --share-all-embeddings --arch talkconv_wmt_en_de_big (fairseq's
#   scaling_nmt data: 32768 joined dictionary, VOCAB_OTT_EN_DE).
TALK_SOURCE = (
    "lioutasb/TaLKConvolutions@4c1f985 talkconv/talkconv_fairseq/talkconv.py talkconv_wmt_en_de_big, "
    "talkconv_module.py TaLKConv; README.md@501a457 (WMT16 En-De command)"
)
TALK_BIG = {**DYNAMICCONV_BIG, "conv": "talk"}
VOCAB_TALK_CITE = (
    "lioutasb/TaLKConvolutions@501a457 README.md: data-bin/wmt16_en_de_bpe32k, built in fairseq@3d262bb2 "
    "examples/scaling_nmt/README.md with --nwordssrc 32768 --nwordstgt 32768 --joined-dictionary"
)

# WMT En-Fr joined dictionary of fairseq's released Ott et al. model: fairseq@3d262bb2 examples/scaling_nmt/README.md
#   and examples/translation/README.md list `transformer.wmt14.en-fr` (Ott et al., 2018), model
#   wmt14.en-fr.joined-dict.transformer.tar.bz2 with newstest2014 wmt14.en-fr.joined-dict.newstest2014.tar.bz2;
#   github.com/facebookresearch/fairseq/issues/3207 (2021-02-03), loading that checkpoint: "copying a param with
#   shape torch.Size([44512, 1024]) from checkpoint" for encoder.embed_tokens.weight, decoder.embed_tokens.weight and
#   decoder.output_projection.weight: a joined dictionary of 44512 entries (specials included) at d = 1024.
#   Architecture: transformer_vaswani_wmt_en_fr_big = transformer_vaswani_wmt_en_de_big with dropout 0.1
#   (transformer_legacy.py), and issues/233 (Ott's En-Fr training log, 2018-07-30): arch
#   'transformer_vaswani_wmt_en_de_big', encoder/decoder_embed_dim 1024, ffn 4096, 16 heads, 6 layers.
#   DynamicConv En-Fr: examples/pay_less_attention_paper/README.md, `dynamicconv.glu.wmt14.en-fr` is evaluated on the
#   same binarized newstest2014 (wmt14.en-fr.joined-dict.newstest2014.tar.bz2), whose dictionary its shared
#   embedding must match: 44512 as well; lightconv_wmt_en_fr_big = lightconv_wmt_en_de_big with dropout 0.1.
VOCAB_EN_FR_JOINED = 44512
VOCAB_EN_FR_JOINED_CITE = (
    "github.com/facebookresearch/fairseq/issues/3207: fairseq's wmt14.en-fr.joined-dict.transformer checkpoint "
    "(Ott et al.) has embed_tokens of shape [44512, 1024]"
)
VOCAB_DYNAMICCONV_EN_FR_CITE = (
    f"{VOCAB_EN_FR_JOINED_CITE}; fairseq@3d262bb2 examples/pay_less_attention_paper/README.md evaluates "
    "dynamicconv.glu.wmt14.en-fr on the same wmt14.en-fr.joined-dict.newstest2014 data"
)
OTT_EN_FR_SOURCE = (
    f"{FAIRSEQ_SOURCE} transformer_vaswani_wmt_en_fr_big (= en_de_big sizes); fairseq@3d262bb2 "
    "examples/scaling_nmt/README.md (transformer.wmt14.en-fr); github.com/facebookresearch/fairseq/issues/233 (Ott's "
    "En-Fr training log: transformer_vaswani_wmt_en_de_big, 1024, 4096, 16 heads, 6 layers)"
)
DYNAMICCONV_EN_FR_SOURCE = (
    "facebookresearch/fairseq@3d262bb2 fairseq/models/lightconv.py lightconv_wmt_en_fr_big (= en_de_big sizes), "
    "fairseq/modules/dynamic_convolution.py DynamicConv1dTBC; examples/pay_less_attention_paper/README.md (WMT14 En-Fr)"
)

# RNMT+ (Chen et al. 2018, arXiv:1804.09849), WMT En-De: tensorflow/lingvo@e0be5dc, whose README lists the paper with
#   the model mt.wmt14_en_de.WmtEnDeRNMT: lingvo/tasks/mt/params/wmt14_en_de.py (VOCAB_SIZE = 32000, one wordpiece
#   vocabulary 'wpm-ende.voc' for both languages; embedding_dim 1024, hidden_dim 1024, num_heads 4,
#   num_encoder_layers 6, num_decoder_layers 8), lingvo/tasks/mt/base_config.py SetupRNMTParams
#   (LayerNormalizedLSTMCellSimple of 1024, no output nonlinearity; MTEncoderBiRNN encoder_out_dim 1024;
#   MultiHeadedAttention over AdditiveAttention, use_source_vec_as_attention_value, enable_query_proj,
#   feed_attention_context_vec_to_softmax), lingvo/tasks/mt/encoder.py (6 bidirectional layers, forward and backward
#   concatenated, 2048 into layers 2-6, residual from the third layer, a 2048 -> 1024 projection of the output),
#   lingvo/tasks/mt/decoder.py MTDecoderV1 (the bottom layer over [embedding; previous context] is the attention
#   query; layers 2-8 over [layer below; context]; the softmax over [top layer; context]), lingvo/core/attention.py
#   (source and query projections 1024 -> 1024; per head of 256: source_var and query_var 256 x 256, shared by the
#   heads, logits = matmul(tanh(...), v); values: the projected source), lingvo/core/rnn_cell.py (one fused
#   [x; h] x W of 4 x 1024 gates, per-gate layer norm: elementwise). The paper's text: "6 bidirectional LSTM layers in
#   the encoder", "8 unidirectional LSTM layers", "Residual connections are added to the third layer and above",
#   "Multi-head additive attention", the context fed "to all decoder LSTM layers" and to the softmax. Parameters:
#   Epoch's row 'RNMT+' 378.9M ("from Table 3").
RNMT_SOURCE = (
    "tensorflow/lingvo@e0be5dc lingvo/tasks/mt/params/wmt14_en_de.py WmtEnDeRNMT (the model lingvo's README lists for "
    "Chen et al. 2018), base_config.py SetupRNMTParams, encoder.py MTEncoderBiRNN, decoder.py MTDecoderV1, "
    "core/attention.py MultiHeadedAttention + AdditiveAttention"
)
RNMT_PLUS = {"dim": 1024, "heads": 4, "encoder_layers": 6, "decoder_layers": 8, "residual_from": 2}
VOCAB_RNMT = 32000
VOCAB_RNMT_CITE = "tensorflow/lingvo@e0be5dc lingvo/tasks/mt/params/wmt14_en_de.py: VOCAB_SIZE = 32000, wpm-ende.voc"

# GNMT (Wu et al. 2016, arXiv:1609.08144), WMT'14: the paper's sections past its abstract were not read. Its sizes as
#   google/seq2seq@17f00eb docs/results.md gives them for Wu et al.'s WMT En-De model: "8 encoder/decoder layers, 1024
#   LSTM units, 32k shared wordpieces (similar to BPE); residual between layers connections". The abstract: "a deep
#   LSTM network with 8 encoder and 8 decoder layers using attention and residual connections ... our attention
#   mechanism connects the bottom layer of the decoder to the top layer of the encoder". The wiring, from
#   tensorflow/nmt@0be8642 (its README: "replicating Google's NMT (GNMT) system"), nmt/gnmt_model.py: the encoder's
#   bottom layer bidirectional (num_bi_layers = 1, outputs concatenated), then num_encoder_layers - 1 unidirectional
#   ones; the decoder's bottom layer wrapped in the attention (AttentionWrapper: its input [embedding; previous
#   attention], attention_layer_size None, so the attention is the context), GNMTAttentionMultiCell gnmt_v2 feeding
#   [layer below; the current step's attention] to every upper layer; the output layer over the top layer alone;
#   standard_hparams/wmt16_gnmt_8_layer.json: num_units 1024, attention normed_bahdanau (query and memory layers of
#   num_units; TF's _bahdanau_score takes reduce_sum(normed_v * tanh(keys + query + b)), elementwise: 0 FLOP); the
#   output layer has no bias (model.py: Dense(tgt_vocab_size, use_bias=False)). Check: Shazeer et al. 2017
#   (arXiv:1701.06538) Tables 2 and 3 give GNMT 278M total parameters in both; this build has 280.8M (+1.0%), three
#   32000 x 1024 tables included (source and target embeddings shared would give 248M; a softmax over [top;
#   context] 313M). En-Fr's vocabulary was not read:
#   the same 278M in both tables fixes it to within about 1000 entries of En-De's (each 1000 entries are 3.1M
#   parameters), so 32000 is used for both (each 1000 entries move the pass by 0.52 GFLOP).
GNMT_SOURCE = (
    "sizes: google/seq2seq@17f00eb docs/results.md (Wu et al. 2016: 8 encoder/decoder layers, 1024 LSTM units, 32k "
    "shared wordpieces); wiring: tensorflow/nmt@0be8642 nmt/gnmt_model.py (a reimplementation: bidirectional bottom "
    "encoder layer, gnmt_v2 attention fed to every decoder layer); checked against Shazeer et al. 2017's 278M"
)
GNMT = {"dim": 1024, "encoder_layers": 8, "decoder_layers": 8, "residual_from": 2}
VOCAB_GNMT = 32000
VOCAB_GNMT_CITE = (
    "google/seq2seq@17f00eb docs/results.md: 32k shared wordpieces (En-De; En-Fr inferred, see the script)"
)

# ELMo (Peters et al. 2018, arXiv:1802.05365) on CoNLL-2003: the biLM, allenai/bilm-tf@1ffa076 bin/train_elmo.py
#   (the README: "The hyperparameters used to train the ELMo model can be found in bin/train_elmo.py"): char_cnn
#   embedding dim 16, filters [[1, 32], [2, 32], [3, 64], [4, 128], [5, 256], [6, 512], [7, 1024]],
#   max_characters_per_token 50, n_characters 261, n_highway 2; lstm dim 4096, n_layers 2, projection_dim 512,
#   use_skip_connections True; bidirectional. The released model's name says the same:
#   elmo_2x4096_512_2048cnn_2xhighway (allennlp@10e5b21 training_config/ner_elmo.jsonnet). How allennlp runs it,
#   allennlp@01291ee allennlp/modules/elmo.py: _ElmoCharacterEncoder adds <S> and </S> to every sentence
#   ("returns (batch_size, sequence_length + 2, embedding_dim)"), Conv1d(char dim, num, width) over the 50
#   characters of each token, max over positions, relu; Highway(n_filters, n_highway) (one Linear to 2 x n_filters
#   per layer); Linear(n_filters, projection_dim); _ElmoBiLm: ElmoLstm(input 512, hidden 512, cell 4096, 2 layers),
#   forward and backward stacks; allennlp/modules/lstm_cell_with_projection.py: input_linearity (in -> 4 x cell),
#   state_linearity (hidden -> 4 x cell), state_projection (cell -> hidden): nn.LSTM(proj_size=512)'s products.
ELMO_SOURCE = (
    "allenai/bilm-tf@1ffa076 bin/train_elmo.py (char CNN, 2 highway, 2 x LSTM 4096 projected to 512); "
    "allenai/allennlp@01291ee allennlp/modules/elmo.py and lstm_cell_with_projection.py; "
    "allenai/allennlp@10e5b21 training_config/ner_elmo.jsonnet (the tagger)"
)
ELMO_BILM = {
    "char_dim": 16,
    "chars": 50,
    "n_characters": 262,  # 261 + allennlp's padding id (elmo.py _load_char_embedding: shape[0] + 1)
    "filters": ((1, 32), (2, 32), (3, 64), (4, 128), (5, 256), (6, 512), (7, 1024)),
    "highway": 2,
    "cell": 4096,
    "proj": 512,
    "layers": 2,
}
# The NER tagger, allennlp@10e5b21 training_config/ner_elmo.jsonnet ("modified slightly from the version included
#   in" Peters et al. 2018: 50d GloVe in place of Senna's 50d embeddings): crf_tagger; tokens 50d; ELMo (1024: the
#   scalar mix of the biLM's layers, elementwise); token_characters: embedding 16, cnn num_filters 128,
#   ngram_filter_sizes [3], min_padding_length 3; encoder lstm input_size 1202 (= 50 + 1024 + 128), hidden_size 200,
#   num_layers 2, bidirectional; label_encoding BIOUL: 4 entity types x (B, I, L, U) + O = 17 tags, the crf_tagger's
#   tag_projection_layer (400 -> 17) counted. The CRF's Viterbi decoding (additions and maxima) is 0 FLOP.
ELMO_TAGGER = {
    "word_dim": 50,
    "char_dim": 16,
    "char_filters": 128,
    "char_width": 3,
    "hidden": 200,
    "layers": 2,
    "tags": 17,
}
# Characters per token for the tagger's CNN: allennlp pads a batch to its longest token, at least
#   min_padding_length 3; for one sentence that is its longest token (below).

# LSTM-CRF (Lample et al. 2016, arXiv:1603.01360), glample/tagger@1c96188: train.py defaults char_dim 25,
#   char_lstm_dim 25, char_bidirect 1, word_dim 100, word_lstm_dim 100, word_bidirect 1, cap_dim 0, crf 1 (the
#   English model the repository ships, models/english/parameters.pkl, has the same sizes); model.py: forward and
#   reverse character LSTMs over each word's characters, padded to the sentence's longest word (utils.py
#   pad_word_chars), each word taking the state at its last character (25 + 25); [word 100; chars 50] = 150 into a
#   forward and a reverse word LSTM of 100; tanh_layer HiddenLayer(200, 100); final_layer HiddenLayer(100, n_tags),
#   17 IOBES tags (the shipped model's final_layer weights are (100, 17)); CRF transitions (19, 19). nn.py's LSTM has
#   no forget gate and full peephole matrices: w_xi, w_xo, w_xc (input x hidden), w_hi, w_ho, w_hc, w_ci (on
#   c_{t-1}), w_co (on c_t) (hidden x hidden), c_t = (1 - i_t) * c_{t-1} + i_t * tanh(...). The paper (§2.4, §4.2):
#   character LSTMs of 25 each, word LSTMs of 100, 100-d embeddings for English, a hidden layer before the CRF.
LAMPLE_SOURCE = (
    "glample/tagger@1c96188 train.py (defaults), model.py (char and word LSTMs, tanh_layer, final_layer), nn.py "
    "(LSTM without forget gate, peephole matrices), utils.py (pad_word_chars)"
)
LAMPLE = {"char_dim": 25, "char_hidden": 25, "word_dim": 100, "word_hidden": 100, "tags": 17}
# BiLSTM-CNN-CRF (Ma & Hovy 2016, arXiv:1603.01354), XuezheMax/LasagneNLP@c9a4776: lasagne_nlp/networks/networks.py
#   build_BiLSTM_CNN_CRF: character embedding 30 (generate_character_data char_embedd_dim=30), Conv1DLayer
#   num_filters filters, filter_size conv_window = 3, pad='full' (one less than the filter size on both sides),
#   tanh, max-pooled over the whole length; [chars 30; GloVe 100] = 130 into forward and backward LSTMLayer of
#   num_units, peepholes off (never passed); crf.py CRFLayer: one tensordot from 2 x num_units to
#   (num_labels + 1) x (num_labels + 1) pair energies, W of shape (num_inputs, num_labels + 1, num_labels + 1).
#   Sizes, the paper's Table 1, NER: window size 3, number of filters 30, state size 200, peepholes no (the one run
#   script released, run_bi-lstm-cnn-crf.sh, passes --num_units 200 --num_filters 30 too, for POS on WSJ); "We use
#   the BIOES tagging scheme": 17 labels, so 18 x 18 pair energies. lasagne_nlp/utils/data_processor.py pads every
#   sentence to the longest in the data (sentences over MAX_LENGTH = 130 are dropped) and every word to
#   min(MAX_CHAR_LENGTH = 45, the longest word).
MA_HOVY_SOURCE = (
    "XuezheMax/LasagneNLP@c9a4776 lasagne_nlp/networks/networks.py build_BiLSTM_CNN_CRF, networks/crf.py, "
    "utils/data_processor.py; Ma & Hovy 2016 Table 1 (NER: window 3, 30 filters, state size 200, no peepholes)"
)
MA_HOVY = {"char_dim": 30, "filters": 30, "width": 3, "word_dim": 100, "hidden": 200, "labels": 17, "max_chars": 45}

# LM-LSTM-CRF (Liu et al. 2018, arXiv:1709.04109), LiyuanLucasLiu/LM-LSTM-CRF@b03ecf3: README.md's NER command
#   (`python train_wc.py ... --caseless --fine_tune --high_way --co_train --least_iters 100`) sets no size, so
#   train_wc.py's defaults: char_hidden 300, word_hidden 300, char_dim 30, word_dim 100, char_layers 1,
#   word_layers 1, highway_layers 1, and --small_crf not given: CRF_L. model/lm_lstm_crf.py: forward and backward
#   character LSTMs (nn.LSTM(char_dim, char_hidden_dim), one-way each) over the sentence's whole character string,
#   gathered at the word boundaries, concatenated (600), fb2char = highway.hw(2 * char_hidden_dim) (model/highway.py:
#   per layer Linear(size, size) twice, gate and transform), [word 100; 600] into nn.LSTM(700, word_hidden_dim // 2,
#   bidirectional=True); model/crf.py CRF_L: nn.Linear(hidden_dim, tagset_size * tagset_size). The language-model
#   heads run only in training (co_train). Tags: the .iobes files' 17 labels + '<start>' + '<pad>' (model/utils.py)
#   = 19 (the README's command reads train.txt, whose scheme is not shown; the evaluator decodes IOBES; IOB's 9 + 2
#   would make the pass 1.4% smaller). model/predictor.py feeds one sentence of W words and C characters as
#   C + W + 2 characters (concatChar: a leading space, the words joined by spaces, a trailing '\n', one more pad)
#   and W + 1 words (one pad word).
LM_LSTM_CRF_SOURCE = (
    "LiyuanLucasLiu/LM-LSTM-CRF@b03ecf3 README.md (NER command), train_wc.py (defaults), model/lm_lstm_crf.py, "
    "model/highway.py, model/crf.py (CRF_L), model/predictor.py (the character and word layout)"
)
LM_LSTM_CRF = {"char_dim": 30, "char_hidden": 300, "word_dim": 100, "word_hidden": 300, "highway": 1, "tags": 19}
# NCRF++ (Yang & Zhang 2018), jiesutd/NCRFpp@105a53a: README.md, "CharCNN+WordLSTM+CRF: 91.35", and "The default
#   configuration file describes the `Char CNN + Word LSTM + CRF` model ... The parameters in this demo configuration
#   file are the same in our paper"; demo.train.config: word_emb_dim 50, char_emb_dim 30, char_seq_feature CNN,
#   char_hidden_dim 50, word_seq_feature LSTM, hidden_dim 200, lstm_layer 1, bilstm True, use_crf True.
#   model/charcnn.py: nn.Conv1d(30, 50, kernel_size=3, padding=1), max-pooled over the word (padded to the batch's
#   longest word, main.py); model/wordsequence.py: nn.LSTM(50 + 50, hidden_dim // 2, bidirectional=True), hidden2tag
#   nn.Linear(200, label_alphabet_size) with label_alphabet_size = labels + 1 (Alphabet's index 0) + 2
#   (seqlabel.py). The tag scheme of the 91.35 run is not stated (README: "supports both BIO and BIOES"): BIOES's 17
#   labels are taken, so 20 outputs (BIO's 9, 12 outputs, would make the pass 0.8% smaller). word_emb_dim is reset
#   to the pretrained vectors' dimension (readme/Configuration.md) and the 91.35 run's vectors are not named: 50 is
#   the demo's; readme/hyperparameter_tuning.md says 100-d vectors do better "instead of 50-d", and with them the
#   pass would be 19% larger.
NCRFPP_SOURCE = (
    "jiesutd/NCRFpp@105a53a README.md (91.35; the demo configuration is the paper's), demo.train.config, "
    "model/charcnn.py, model/wordsequence.py, model/seqlabel.py"
)
NCRFPP = {"char_dim": 30, "char_hidden": 50, "word_dim": 50, "hidden": 200, "tags": 17 + 1 + 2}

# Flair embeddings (Akbik, Blythe & Vollgraf 2018, COLING), flairNLP/flair@446c183 (v0.2.0, 2018-08-03):
#   resources/docs/EXPERIMENTS.md, CoNLL-03 English: WordEmbeddings('glove') + CharLMEmbeddings('news-forward') +
#   CharLMEmbeddings('news-backward'), SequenceTagger(hidden_size=256, ..., use_crf=True);
#   flair/embeddings.py CharLMEmbeddings: each LM reads '\n' + the sentence's tokens joined by spaces + ' ', whole,
#   its state taken at each word's boundary; flair/models/language_model.py: nn.Embedding(len(dictionary),
#   embedding_size) -> nn.LSTM(embedding_size, hidden_size, nlayers) -> self.decoder = nn.Linear(hidden_size,
#   len(dictionary)), and get_representation calls self.forward, which runs the decoder ("decoded =
#   self.decoder(...)", computed and discarded; v0.12 stopped running it); flair/models/sequence_tagger_model.py:
#   embedding2nn = nn.Linear(rnn_input_dim, rnn_input_dim) (relearn_embeddings True), nn.LSTM(rnn_input_dim,
#   hidden_size, bidirectional=True), self.linear = nn.Linear(hidden_size * 2, len(tag_dictionary)); tags IOBES.
#   The LM sizes: 2048 hidden states, 1 layer, no down-projection (the author, github.com/flairNLP/flair/issues/55,
#   2018-08-10: "2048 hidden states", "1 layer", "nout = None"); GloVe 100-d (flair's TUTORIAL_WORD_EMBEDDING).
#   Not read for the paper's checkpoints (lm-news-english-forward/backward-v0.2rc.pt): the character dictionary and
#   the character embedding size; a later news-forward (0.4.1) prints as Embedding(300, 100), LSTM(100, 2048),
#   Linear(2048, 300) (blog.paperspace.com/text2emoji, as copied in a public repository), which are used: each 100
#   dictionary entries move the pass by about 0.4 GFLOP (1%), each 100 embedding dimensions by 1.6 GFLOP (4%).
#   Tags: 16 IOBES entity tags + O + <START> + <STOP>, and <unk> (Dictionary's add_unk): 20.
FLAIR_SOURCE = (
    "flairNLP/flair@446c183 (v0.2.0) resources/docs/EXPERIMENTS.md (CoNLL-03 recipe), flair/embeddings.py "
    "CharLMEmbeddings, flair/models/language_model.py, flair/models/sequence_tagger_model.py; LM sizes: "
    "github.com/flairNLP/flair/issues/55 (2048 hidden, 1 layer); dictionary 300, embedding 100: a later checkpoint"
)
FLAIR = {"lm_dict": 300, "lm_embed": 100, "lm_hidden": 2048, "word_dim": 100, "hidden": 256, "tags": 20}
# CrossWeigh + Flair (Wang et al. 2019): ZihanWangKi/CrossWeigh@6a727cd flair_scripts/flair_ner.py trains the same
#   tagger, WordEmbeddings('glove') + FlairEmbeddings('news-forward') + FlairEmbeddings('news-backward'),
#   SequenceTagger(hidden_size=256) (use_crf and reproject_embeddings at their defaults, True), with requirements.txt
#   flair==0.7.0: flairNLP/flair@69b6692 (v0.7) maps 'news-forward' to news-forward-0.4.1.pt, the checkpoint the
#   300 x 100 character table and 2048 -> 300 decoder above were printed from; its LanguageModel.forward still runs
#   the decoder; its chars_per_chunk 512 leaves the 495-character sentence in one chunk; Dictionary() adds <unk>.
CROSSWEIGH_SOURCE = (
    "ZihanWangKi/CrossWeigh@6a727cd flair_scripts/flair_ner.py (glove + news-forward + news-backward, "
    "SequenceTagger(hidden_size=256)), requirements.txt (flair==0.7.0); flairNLP/flair@69b6692 (v0.7) "
    "flair/embeddings/token.py, flair/models/language_model.py, flair/models/sequence_tagger_model.py"
)

# --- Input lengths (the per-pass convention) ----------------------------------------------------------------------
# One forward pass over the longest input the row's own fine-tuning code feeds (its max_seq_length):
SQUAD_BERT = 384  # google-research/bert@eedf571 README.md, SQuAD 1.1: run_squad.py --max_seq_length=384
SQUAD_XLNET = 512  # zihangdai/xlnet@bbaa3a6 README.md: "XLNet-Large uses sequence length 512" (SQuAD)
SQUAD_SPANBERT = 512  # facebookresearch/SpanBERT@0670d8b README.md, SQuAD 1.1: run_squad.py --max_seq_length 512
# studio-ousia/luke@2516545 examples/legacy/reading_comprehension/main.py and ner/main.py (the paper's code):
#   --max-seq-length default 512, --max-entity-length default 128: 512 word tokens and 128 entity tokens.
LUKE_WORDS, LUKE_ENTITIES = 512, 128
# BERT on CoNLL-2003: the README gives no NER command; 512 is the longest input the released models were trained
#   with (google-research/bert@eedf571 README.md: "trained with sequence lengths up to 512") and LUKE's NER length.
CONLL_BERT = 512
# CoNLL-2003 taggers that read whole sentences, untruncated (allennlp's conll2003 reader and crf_tagger): the longest
#   sentence of the split the score is on, the test set: 124 tokens, whose longest token has 10 characters,
#   counted in kyzhouhzau/BERT-NER@0f77e47 data/test.txt (CoNLL-2003 English test, 3,453 sentences between
#   blank lines and -DOCSTART- lines, the count on the Hugging Face conll2003 card; 46,435 tokens). The training
#   split's longest is 113 tokens (data/train.txt, 14,041 sentences), the development split's 109. Only the count
#   is used; the Reuters text is not shipped.
CONLL_LONGEST, CONLL_LONGEST_TOKEN_CHARS = 124, 10
CONLL_COUNTED_IN = "kyzhouhzau/BERT-NER@0f77e47 data/test.txt"
# Ma & Hovy pad every word to min(45, the longest word in the data): the training split's longest token has 61
#   characters (data/train.txt as above; test 37, development 27), so 45.
CONLL_LONGEST_WORD_CHARS = 61
# Taggers that read a sentence as one character string: the longest test sentence has 370 characters in its 124
#   tokens (493 with a space between tokens; it is also the test sentence with the most characters).
CONLL_LONGEST_CHARS = 370
# WMT: one sentence pair of 256 source and 256 target tokens, teacher-forced (the decoder over the whole target at
#   once, with the pre-softmax projection at every target position): tensor2tensor@bafdc1b6 transformer_base_v1
#   max_length = 256, and common_hparams.py: "During training, we drop sequences whose inputs or targets are longer
#   than max_length".
WMT_TOKENS = 256


@dataclass(frozen=True)
class Counted:
    flop: int  # flopcast forward_flop of one pass
    params: int  # the full-size model's parameters, every embedding table included
    paper_params: int  # the parameters the paper's total counts (see each count_* function)


def _meta(build):
    with torch.device("meta"):
        model = build()
    return model.to("meta").eval()  # some modules allocate parameters on CPU whatever the default device


def _ids(*shape: int, device: str = "meta") -> torch.Tensor:
    return torch.zeros(*shape, dtype=torch.long, device=device)


def _vectors(*shape: int) -> torch.Tensor:
    """Looked-up vectors (word embeddings) on meta: a lookup costs 0 FLOP, so the models take them as input."""
    return torch.zeros(*shape, device="meta")


#: Rows of a tagger's character table: a lookup (0 FLOP), so its size only moves the parameter count.
CHAR_TABLE = 128


def _word_char_features(embedding, conv, token_chars: torch.Tensor, activation=None) -> torch.Tensor:
    """A character CNN over each word's padded characters, max-pooled: (batch, tokens, chars) -> (batch, tokens, F)."""
    batch, tokens, chars = token_chars.shape
    c = conv(embedding(token_chars.view(-1, chars)).transpose(1, 2))
    return (c if activation is None else activation(c)).amax(dim=-1).view(batch, tokens, -1)


def _residual_lstms(lstms, x: torch.Tensor, residual_from: int, *, first: int = 0, context=None) -> torch.Tensor:
    """Stacked LSTMs numbered from ``first``, each over [x; context] when a context is given, adding its input to
    its output from layer ``residual_from`` on (the add is elementwise: 0 FLOP)."""
    for i, lstm in enumerate(lstms, start=first):
        y = lstm(x if context is None else torch.cat([x, context], dim=-1))[0]
        x = y + x if i >= residual_from else y
    return x


def _attend_each_step(bottom, attend, emb: torch.Tensor, context: torch.Tensor):
    """A decoder's bottom LSTM cell run one step at a time over [embedding; previous context], its state the
    attention's query: every step's state and context, stacked (batch, steps, d)."""
    h = c = emb.new_zeros(emb.shape[0], bottom.hidden_size)
    states, contexts = [], []
    for t in range(emb.shape[1]):
        h, c = bottom(torch.cat([emb[:, t], context], dim=-1), (h, c))
        context = attend(h)
        states.append(h)
        contexts.append(context)
    return torch.stack(states, dim=1), torch.stack(contexts, dim=1)


def _count_meta(model, inputs: dict) -> Counted:
    from flopcast import count

    with torch.device("meta"):  # tensors the forward creates (position ids, masks) land on meta as well
        r = count(model, inputs)
    return Counted(int(r.forward_flop), int(r.params), int(r.params))


def count_bert(sizes: dict, seq: int) -> Counted:
    """BertModel (as BertForQuestionAnswering / BertForTokenClassification build it: no pooler) over ``seq`` tokens."""
    from transformers import BertConfig, BertModel

    model = _meta(lambda: BertModel(BertConfig(**sizes), add_pooling_layer=False))
    return _count_meta(model, {"input_ids": _ids(1, seq)})


def count_xlnet(seq: int) -> Counted:
    from transformers import XLNetConfig, XLNetModel

    model = _meta(lambda: XLNetModel(XLNetConfig(**XLNET_LARGE)))
    return _count_meta(model, {"input_ids": _ids(1, seq)})


def count_luke(words: int, entities: int) -> Counted:
    """LukeModel over ``words`` word and ``entities`` entity tokens, with entity-aware self-attention.

    Entity-aware attention is LukeConfig's default and what the paper's code fine-tunes: studio-ousia/luke@2516545
    examples/legacy/reading_comprehension/model.py and ner/model.py subclass ``LukeEntityAwareAttentionModel``.
    """
    from transformers import LukeConfig, LukeModel

    from flopcast import count

    full = _meta(lambda: LukeModel(LukeConfig(**LUKE_LARGE)))
    params = sum(p.numel() for p in full.parameters())
    # the 484 M of the pretrained model lack the entity-aware query matrices (w2e, e2w, e2e), which fine-tuning adds
    aware = sum(
        p.numel() for n, p in full.named_parameters() if n.split(".")[-2] in ("w2e_query", "e2w_query", "e2e_query")
    )
    torch.manual_seed(0)
    small = LukeModel(LukeConfig(**{**LUKE_LARGE, "vocab_size": 8, "entity_vocab_size": 8})).eval()
    ones = {"attention_mask": torch.ones(1, words, dtype=torch.long)}
    ones["entity_attention_mask"] = torch.ones(1, entities, dtype=torch.long)
    inputs = {"input_ids": _ids(1, words, device="cpu") + 1, "entity_ids": _ids(1, entities, device="cpu") + 1}
    inputs["entity_position_ids"] = _ids(1, entities, 1, device="cpu")
    with torch.no_grad():
        r = count(small, {**inputs, **ones})
    return Counted(int(r.forward_flop), params, params - aware)


def count_transformer(sizes: dict, vocab: int, tokens: int) -> Counted:
    """FSMTModel (fairseq's Transformer in transformers) set to the paper's sizes, over one sentence pair.

    ``paper_params`` counts the pre-softmax projection and not FSMT's separate embedding tables: the paper shares
    one matrix between both embeddings and that projection (§3.4). FSMT has no such tie, which changes no FLOP
    (a lookup costs 0).
    """
    from transformers import FSMTConfig, FSMTModel

    config = FSMTConfig(
        langs=["en", "xx"],
        src_vocab_size=vocab,
        tgt_vocab_size=vocab,
        d_model=sizes["d_model"],
        encoder_layers=sizes.get("encoder_layers", TRANSFORMER_LAYERS),
        decoder_layers=sizes.get("decoder_layers", TRANSFORMER_LAYERS),
        encoder_ffn_dim=sizes["ffn_dim"],
        decoder_ffn_dim=sizes["ffn_dim"],
        encoder_attention_heads=sizes["heads"],
        decoder_attention_heads=sizes["heads"],
        activation_function="relu",
        max_position_embeddings=1024,
    )
    model = _meta(lambda: FSMTModel(config))
    counted = _count_meta(model, {"input_ids": _ids(1, tokens), "decoder_input_ids": _ids(1, tokens)})
    embeddings = sum(p.numel() for n, p in model.named_parameters() if "embed_" in n)  # tokens and positions
    return Counted(counted.flop, counted.params, counted.params - embeddings)


class _ConvStack(torch.nn.Module):
    """fairseq FConvEncoder / FConvDecoder's layers (fairseq@3d262bb2 fairseq/models/fconv.py), from torch.nn.

    fc1 (embedding -> first width); per layer: a residual projection where the width changes, a convolution to
    twice the width, GLU, and (decoder) attention: in_projection to the embedding width, scores against the encoder
    output, a weighted sum of encoder output + embedding, out_projection back. The decoder's convolution is causal:
    padded on the left only, so each of its outputs is one target position (fairseq's LinearizedConvolution,
    fairseq/modules/linearized_convolution.py, pads both sides and removes the "future timesteps added by padding":
    kernel - 1 more positions per layer, computed and discarded).
    """

    def __init__(self, layers: list, embed: int, *, decoder: bool):
        super().__init__()
        nn = torch.nn
        self.decoder, self.widths = decoder, [w for w, _ in layers]
        self.fc1 = nn.Linear(embed, layers[0][0])
        ins = [layers[0][0], *self.widths[:-1]]
        self.proj = nn.ModuleList(
            nn.Linear(i, w) if i != w else nn.Identity() for i, (w, _) in zip(ins, layers, strict=True)
        )
        self.conv = nn.ModuleList(
            nn.Conv1d(i, 2 * w, k, padding=0 if decoder else k // 2) for i, (w, k) in zip(ins, layers, strict=True)
        )
        self.att_in = nn.ModuleList(nn.Linear(w, embed) for w in self.widths) if decoder else None
        self.att_out = nn.ModuleList(nn.Linear(embed, w) for w in self.widths) if decoder else None

    def forward(self, emb: torch.Tensor, enc: tuple | None = None) -> torch.Tensor:
        half = 0.5**0.5
        x = self.fc1(emb)
        for i, conv in enumerate(self.conv):
            residual = self.proj[i](x)
            h = x.transpose(1, 2)
            if self.decoder:
                h = torch.nn.functional.pad(h, (conv.kernel_size[0] - 1, 0))
            x = torch.nn.functional.glu(conv(h), dim=1).transpose(1, 2)
            if enc is not None:
                q = (self.att_in[i](x) + emb) * half
                attn = torch.softmax(torch.bmm(q, enc[0].transpose(1, 2)), dim=-1)
                x = (self.att_out[i](torch.bmm(attn, enc[1])) + x) * half
            x = (x + residual) * half
        return x


class ConvS2S(torch.nn.Module):
    """fairseq's FConvModel (fconv_wmt_en_de / fconv_wmt_en_fr) from torch.nn modules: encoder, decoder, fc2, fc3."""

    def __init__(self, sizes: dict, vocab: int):
        super().__init__()
        nn, embed = torch.nn, sizes["embed"]
        self.src_embed, self.tgt_embed = nn.Embedding(vocab, embed), nn.Embedding(vocab, embed)
        self.encoder = _ConvStack(sizes["layers"], embed, decoder=False)
        self.enc_fc2 = nn.Linear(sizes["layers"][-1][0], embed)
        self.decoder = _ConvStack(sizes["layers"], embed, decoder=True)
        self.fc2 = nn.Linear(sizes["layers"][-1][0], sizes["out_embed"])
        self.fc3 = nn.Linear(sizes["out_embed"], vocab)  # the pre-softmax projection

    def forward(self, input_ids: torch.Tensor, decoder_input_ids: torch.Tensor) -> torch.Tensor:
        src = self.src_embed(input_ids)  # position embeddings: a lookup, 0 FLOP, left out
        keys = self.enc_fc2(self.encoder(src))
        values = (keys + src) * 0.5**0.5
        return self.fc3(self.fc2(self.decoder(self.tgt_embed(decoder_input_ids), (keys, values))))


def count_convs2s(sizes: dict, vocab: int, tokens: int) -> Counted:
    """ConvS2S over one sentence pair (no paper parameter total was read: every parameter is counted)."""
    model = _meta(lambda: ConvS2S(sizes, vocab))
    return _count_meta(model, {"input_ids": _ids(1, tokens), "decoder_input_ids": _ids(1, tokens)})


class _DynamicConv(torch.nn.Module):
    """fairseq DynamicConv1dTBC (_forward_unfolded) from torch.nn: per-position kernels, softmax, one bmm."""

    def __init__(self, dim: int, heads: int, kernel: int, *, causal: bool):
        super().__init__()
        self.heads, self.kernel = heads, kernel
        self.pad = (kernel - 1, 0) if causal else (kernel // 2, kernel // 2)
        self.weight_linear = torch.nn.Linear(dim, heads * kernel, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        h, k = self.heads, self.kernel
        weight = torch.softmax(self.weight_linear(x).view(b * t * h, k, 1), dim=1)
        unfold = torch.nn.functional.pad(x.transpose(1, 2), self.pad).unfold(2, k, 1)  # b, c, t, k (a view)
        unfold = unfold.reshape(b, h, c // h, t, k).permute(0, 3, 1, 2, 4).reshape(b * t * h, c // h, k)
        return torch.bmm(unfold, weight).view(b, t, c)


class _TaLKConv(torch.nn.Module):
    """TaLKConv (lioutasb/TaLKConvolutions@4c1f985 talkconv/talkconv_fairseq/talkconv_module.py) from torch.nn.

    Its matmul-class work is the offsets Linear (hidden -> 2 x heads in the encoder, heads in the causal decoder).
    The rest is a cumulative sum over time and, in a CUDA kernel (talkconv_cuda), a per-position read of a window
    of that sum between the predicted offsets: elementwise, 0 FLOP in flopcast's convention; the cumsum stands in
    for it (same shape, no product).
    """

    def __init__(self, dim: int, heads: int, kernel: int, *, causal: bool):
        super().__init__()
        self.window = kernel + 1 if causal else 2 * kernel + 1  # min_len_left + min_len_right + 1
        self.offsets = torch.nn.Linear(dim, heads if causal else 2 * heads)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        torch.sigmoid(self.offsets(x))  # the relative offsets the kernel reads the window with
        return torch.cumsum(x * (1 / self.window), dim=1)


class _DynamicConvLayer(torch.nn.Module):
    """fairseq LightConvEncoderLayer / LightConvDecoderLayer (conv type dynamic, GLU, post-LN), or TaLK's
    TaLKConvEncoderLayer / TaLKConvDecoderLayer (the same block with a TaLK convolution; swish FFN, elementwise)."""

    def __init__(self, sizes: dict, kernel: int, *, decoder: bool):
        super().__init__()
        nn, d, heads = torch.nn, sizes["d_model"], sizes["heads"]
        self.heads = heads
        self.linear1, self.linear2 = nn.Linear(d, 2 * d), nn.Linear(d, d)
        conv = _DynamicConv if sizes.get("conv", "dynamic") == "dynamic" else _TaLKConv
        self.conv = conv(d, heads, kernel, causal=decoder)
        self.attn = nn.ModuleList(nn.Linear(d, d) for _ in range(4)) if decoder else None  # q, k, v, out
        self.fc1, self.fc2 = nn.Linear(d, sizes["ffn_dim"]), nn.Linear(sizes["ffn_dim"], d)
        self.norms = nn.ModuleList(nn.LayerNorm(d) for _ in range(3 if decoder else 2))

    def _attend(self, x: torch.Tensor, enc: torch.Tensor) -> torch.Tensor:
        q, k, v, out = self.attn
        b, t, d = x.shape
        split = lambda y: y.view(b, y.shape[1], self.heads, d // self.heads).transpose(1, 2)  # noqa: E731
        scores = torch.softmax(torch.matmul(split(q(x)), split(k(enc)).transpose(-1, -2)), dim=-1)
        return out(torch.matmul(scores, split(v(enc))).transpose(1, 2).reshape(b, t, d))

    def forward(self, x: torch.Tensor, enc: torch.Tensor | None = None) -> torch.Tensor:
        x = self.norms[0](x + self.linear2(self.conv(torch.nn.functional.glu(self.linear1(x), dim=-1))))
        if enc is not None:
            x = self.norms[1](x + self._attend(x, enc))
        return self.norms[-1](x + self.fc2(torch.relu(self.fc1(x))))


class DynamicConvModel(torch.nn.Module):
    """fairseq LightConvModel (lightconv_wmt_en_de_big, dynamic): one shared embedding matrix, sinusoidal positions
    (0 FLOP, left out), the pre-softmax projection by that matrix (--share-all-embeddings)."""

    def __init__(self, sizes: dict, vocab: int):
        super().__init__()
        nn = torch.nn
        self.embed = nn.Embedding(vocab, sizes["d_model"])
        self.encoder = nn.ModuleList(_DynamicConvLayer(sizes, k, decoder=False) for k in sizes["encoder_kernels"])
        self.decoder = nn.ModuleList(_DynamicConvLayer(sizes, k, decoder=True) for k in sizes["decoder_kernels"])

    def forward(self, input_ids: torch.Tensor, decoder_input_ids: torch.Tensor) -> torch.Tensor:
        enc = self.embed(input_ids)
        for layer in self.encoder:
            enc = layer(enc)
        x = self.embed(decoder_input_ids)
        for layer in self.decoder:
            x = layer(x, enc)
        return torch.nn.functional.linear(x, self.embed.weight)


def count_dynamicconv(sizes: dict, vocab: int, tokens: int) -> Counted:
    """DynamicConv or TaLK over one sentence pair; ``paper_params`` is every parameter (one shared embedding)."""
    model = _meta(lambda: DynamicConvModel(sizes, vocab))
    return _count_meta(model, {"input_ids": _ids(1, tokens), "decoder_input_ids": _ids(1, tokens)})


class _AdditiveHeads(torch.nn.Module):
    """lingvo MultiHeadedAttention over AdditiveAttention from torch.nn: projections, one additive scorer shared by
    the heads (source_var, query_var, v), the projected source as the values."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        nn, att = torch.nn, dim // heads
        self.heads, self.att = heads, att
        self.source_proj, self.query_proj = nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.source_var, self.query_var = nn.Linear(att, att, bias=False), nn.Linear(att, att, bias=False)
        self.v = nn.Linear(att, 1, bias=False)

    def pack(self, source: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Once per sentence: the values (batch, heads, S, att) and the scorer's source term."""
        values = self.source_proj(source).view(source.shape[0], -1, self.heads, self.att).transpose(1, 2)
        return self.source_var(values), values

    def forward(self, query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        q = self.query_var(self.query_proj(query).view(query.shape[0], self.heads, 1, self.att))
        probs = torch.softmax(self.v(torch.tanh(keys + q)).squeeze(-1), dim=-1)  # (batch, heads, S)
        return torch.matmul(probs.unsqueeze(2), values).reshape(query.shape[0], -1)


class RNMTPlus(torch.nn.Module):
    """RNMT+ (lingvo RNMTModel as SetupRNMTParams builds it) from torch.nn, teacher-forced over one sentence pair."""

    def __init__(self, sizes: dict, vocab: int):
        super().__init__()
        nn, d = torch.nn, sizes["dim"]
        self.residual_from = sizes["residual_from"]
        self.src_embed, self.tgt_embed = nn.Embedding(vocab, d), nn.Embedding(vocab, d)
        self.encoder = nn.ModuleList(
            nn.LSTM(d if i == 0 else 2 * d, d, bidirectional=True, batch_first=True)
            for i in range(sizes["encoder_layers"])
        )
        self.encoder_proj = nn.Linear(2 * d, d)
        self.attention = _AdditiveHeads(d, sizes["heads"])
        self.bottom = nn.LSTMCell(2 * d, d)  # [embedding; previous context] -> the attention query
        self.decoder = nn.ModuleList(nn.LSTM(2 * d, d, batch_first=True) for _ in range(sizes["decoder_layers"] - 1))
        self.softmax = nn.Linear(2 * d, vocab)  # the pre-softmax projection over [top layer; context]

    def encode(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.encoder_proj(_residual_lstms(self.encoder, self.src_embed(input_ids), self.residual_from))

    def forward(self, input_ids: torch.Tensor, decoder_input_ids: torch.Tensor) -> torch.Tensor:
        keys, values = self.attention.pack(self.encode(input_ids))
        emb = self.tgt_embed(decoder_input_ids)
        zero = emb.new_zeros(emb.shape[0], self.bottom.hidden_size)
        first = self.attention(zero, keys, values)  # lingvo FRNNWithAttention.zero_state: a zero query's context
        x, ctxs = _attend_each_step(self.bottom, lambda h: self.attention(h, keys, values), emb, first)
        x = _residual_lstms(self.decoder, x, self.residual_from, first=1, context=ctxs)
        return self.softmax(torch.cat([x, ctxs], dim=-1))


def count_rnmt(sizes: dict, vocab: int, tokens: int) -> Counted:
    """RNMT+ over one sentence pair. Its parameters equal lingvo's: nn.LSTM's second bias vector (4 x 1024 per cell)
    stands in for the per-gate layer-norm scales lingvo's cells carry (ln_scale, 4 x 1024), which compute no FLOP."""
    model = _meta(lambda: RNMTPlus(sizes, vocab))
    return _count_meta(model, {"input_ids": _ids(1, tokens), "decoder_input_ids": _ids(1, tokens)})


class GNMTModel(torch.nn.Module):
    """GNMT as tensorflow/nmt's gnmt_model.py wires it, from torch.nn, teacher-forced over one sentence pair."""

    def __init__(self, sizes: dict, vocab: int):
        super().__init__()
        nn, d = torch.nn, sizes["dim"]
        self.residual_from = sizes["residual_from"]
        self.src_embed, self.tgt_embed = nn.Embedding(vocab, d), nn.Embedding(vocab, d)
        self.bi = nn.LSTM(d, d, bidirectional=True, batch_first=True)
        self.uni = nn.ModuleList(
            nn.LSTM(2 * d if i == 0 else d, d, batch_first=True) for i in range(sizes["encoder_layers"] - 1)
        )
        self.memory_layer, self.query_layer = nn.Linear(d, d, bias=False), nn.Linear(d, d, bias=False)
        # normed_bahdanau: score = reduce_sum(g * v / |v| * tanh(keys + query + b)), elementwise (0 FLOP) in TF
        self.v, self.b = nn.Parameter(torch.empty(d)), nn.Parameter(torch.empty(d))
        self.g = nn.Parameter(torch.empty(1))
        self.bottom = nn.LSTMCell(2 * d, d)  # [embedding; previous attention]
        self.decoder = nn.ModuleList(nn.LSTM(2 * d, d, batch_first=True) for _ in range(sizes["decoder_layers"] - 1))
        self.output_layer = nn.Linear(d, vocab, bias=False)  # the pre-softmax projection over the top layer

    def encode(self, input_ids: torch.Tensor) -> torch.Tensor:
        # layers numbered from the bidirectional one (0): residual from the third (num_encoder_layers - 2 of them)
        return _residual_lstms(self.uni, self.bi(self.src_embed(input_ids))[0], self.residual_from, first=1)

    def attend(self, h: torch.Tensor, memory: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        scores = (self.g * self.v * torch.tanh(keys + self.query_layer(h).unsqueeze(1) + self.b)).sum(-1)
        return torch.matmul(torch.softmax(scores, dim=-1).unsqueeze(1), memory).squeeze(1)

    def forward(self, input_ids: torch.Tensor, decoder_input_ids: torch.Tensor) -> torch.Tensor:
        memory = self.encode(input_ids)
        keys = self.memory_layer(memory)
        emb = self.tgt_embed(decoder_input_ids)
        zero = emb.new_zeros(emb.shape[0], self.bottom.hidden_size)
        x, ctxs = _attend_each_step(self.bottom, lambda h: self.attend(h, memory, keys), emb, zero)
        return self.output_layer(_residual_lstms(self.decoder, x, self.residual_from, first=1, context=ctxs))


def count_gnmt(sizes: dict, vocab: int, tokens: int) -> Counted:
    """GNMT over one sentence pair; ``paper_params`` less nn.LSTM's second bias vector (TF's cells have one)."""
    model = _meta(lambda: GNMTModel(sizes, vocab))
    counted = _count_meta(model, {"input_ids": _ids(1, tokens), "decoder_input_ids": _ids(1, tokens)})
    extra = sum(p.numel() for n, p in model.named_parameters() if n.split(".")[-1].startswith("bias_hh"))
    return Counted(counted.flop, counted.params, counted.params - extra)


class ElmoCharEncoder(torch.nn.Module):
    """allennlp _ElmoCharacterEncoder from torch.nn: char CNN over 50 characters, highway, projection."""

    def __init__(self, sizes: dict):
        super().__init__()
        nn, n = torch.nn, sum(f for _, f in sizes["filters"])
        self.chars = nn.Embedding(sizes["n_characters"], sizes["char_dim"])
        self.convs = nn.ModuleList(nn.Conv1d(sizes["char_dim"], f, w) for w, f in sizes["filters"])
        self.highway = nn.ModuleList(nn.Linear(n, 2 * n) for _ in range(sizes["highway"]))
        self.projection = nn.Linear(n, sizes["proj"])

    def forward(self, char_ids: torch.Tensor) -> torch.Tensor:
        batch, tokens, chars = char_ids.shape
        x = self.chars(char_ids.view(-1, chars)).transpose(1, 2)
        x = torch.cat([torch.relu(conv(x).amax(dim=-1)) for conv in self.convs], dim=-1)
        for layer in self.highway:  # allennlp Highway: g * x + (1 - g) * relu(f(x)), one Linear for both
            f, g = layer(x).chunk(2, dim=-1)
            gate = torch.sigmoid(g)
            x = gate * x + (1 - gate) * torch.relu(f)
        return self.projection(x).view(batch, tokens, -1)


class ElmoBiLM(torch.nn.Module):
    """The ELMo biLM (allennlp _ElmoBiLm): <S> and </S> added, forward and backward stacks of projected LSTMs."""

    def __init__(self, sizes: dict):
        super().__init__()
        nn, cell, proj = torch.nn, sizes["cell"], sizes["proj"]
        self.sizes, self.encoder = sizes, ElmoCharEncoder(sizes)
        lstm = lambda: nn.LSTM(proj, cell, proj_size=proj, batch_first=True)  # noqa: E731
        self.forward_lm = nn.ModuleList(lstm() for _ in range(sizes["layers"]))
        self.backward_lm = nn.ModuleList(lstm() for _ in range(sizes["layers"]))

    def forward(self, char_ids: torch.Tensor) -> torch.Tensor:
        boundary = char_ids.new_ones(char_ids.shape[0], 1, char_ids.shape[2])  # <S>, </S> (their ids: no FLOP)
        x = self.encoder(torch.cat([boundary, char_ids, boundary], dim=1))
        layers = [torch.cat([x, x], dim=-1)]  # the context-free layer, duplicated (elmo.py)
        fwd, bwd = x, x.flip(1)
        for i, (f_lstm, b_lstm) in enumerate(zip(self.forward_lm, self.backward_lm, strict=True)):
            f_out, b_out = f_lstm(fwd)[0], b_lstm(bwd)[0]
            # skip connections from the second layer on (allennlp elmo_lstm.py: `if layer_index != 0`)
            fwd, bwd = (f_out + fwd, b_out + bwd) if i else (f_out, b_out)
            layers.append(torch.cat([fwd, bwd.flip(1)], dim=-1))
        mixed = sum(layers) / len(layers)  # the scalar mix: elementwise, 0 FLOP
        return mixed[:, 1:-1]  # <S> and </S> removed


class ElmoTagger(torch.nn.Module):
    """allennlp crf_tagger as ner_elmo.jsonnet configures it: [GloVe; ELMo; char CNN] into a 2-layer bidirectional
    LSTM, then the label projection. The GloVe vectors come in as input (a lookup, 0 FLOP; its table, the training
    vocabulary, is not built)."""

    def __init__(self, bilm: dict, tagger: dict):
        super().__init__()
        nn = torch.nn
        self.elmo = ElmoBiLM(bilm)
        self.chars = nn.Embedding(bilm["n_characters"], tagger["char_dim"])
        self.char_cnn = nn.Conv1d(tagger["char_dim"], tagger["char_filters"], tagger["char_width"])
        width = tagger["word_dim"] + 2 * bilm["proj"] + tagger["char_filters"]  # 1202
        self.encoder = nn.LSTM(
            width, tagger["hidden"], num_layers=tagger["layers"], bidirectional=True, batch_first=True
        )
        self.tags = nn.Linear(2 * tagger["hidden"], tagger["tags"])

    def forward(self, words: torch.Tensor, elmo_chars: torch.Tensor, token_chars: torch.Tensor) -> torch.Tensor:
        c = _word_char_features(self.chars, self.char_cnn, token_chars, torch.relu)
        return self.tags(self.encoder(torch.cat([words, self.elmo(elmo_chars), c], dim=-1))[0])


def count_elmo_tagger(tokens: int, token_chars: int) -> Counted:
    """The ELMo NER tagger over one sentence of ``tokens`` tokens.

    ``paper_params`` is the biLM's parameters (Epoch's row: 94M); ``params`` adds the tagger's (its GloVe table
    excluded).
    """
    model = _meta(lambda: ElmoTagger(ELMO_BILM, ELMO_TAGGER))
    inputs = {
        "words": _vectors(1, tokens, ELMO_TAGGER["word_dim"]),
        "elmo_chars": _ids(1, tokens, ELMO_BILM["chars"]),
        "token_chars": _ids(1, tokens, max(token_chars, ELMO_TAGGER["char_width"])),
    }
    counted = _count_meta(model, inputs)
    bilm = sum(p.numel() for p in model.elmo.parameters())
    return Counted(counted.flop, counted.params, bilm)


class _LampleLSTM(torch.nn.Module):
    """glample/tagger nn.py's LSTM from torch.nn: no forget gate, peephole matrices on c_{t-1} (input gate) and c_t
    (output gate); run over ``x`` of shape (batch, steps, input), returning every step's hidden state."""

    def __init__(self, inputs: int, hidden: int):
        super().__init__()
        nn = torch.nn
        self.x = nn.Linear(inputs, 3 * hidden)  # w_xi, w_xo, w_xc with b_i, b_o, b_c
        self.h = nn.Linear(hidden, 3 * hidden, bias=False)  # w_hi, w_ho, w_hc
        self.ci = nn.Linear(hidden, hidden, bias=False)
        self.co = nn.Linear(hidden, hidden, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = c = x.new_zeros(x.shape[0], self.ci.in_features)  # nn.py learns c_0 and h_0: no products
        xi, xo, xc = self.x(x).chunk(3, dim=-1)
        states = []
        for t in range(x.shape[1]):
            hi, ho, hc = self.h(h).chunk(3, dim=-1)
            i = torch.sigmoid(xi[:, t] + hi + self.ci(c))
            c = (1 - i) * c + i * torch.tanh(xc[:, t] + hc)
            h = torch.sigmoid(xo[:, t] + ho + self.co(c)) * torch.tanh(c)
            states.append(h)
        return torch.stack(states, dim=1)


class LampleTagger(torch.nn.Module):
    """glample/tagger's LSTM-CRF (model.py) from torch.nn, up to the CRF: character LSTMs, word LSTMs, tanh layer,
    final layer. Word vectors come in as input (a lookup, 0 FLOP)."""

    def __init__(self, sizes: dict):
        super().__init__()
        nn, ch, wh = torch.nn, sizes["char_hidden"], sizes["word_hidden"]
        self.chars = nn.Embedding(CHAR_TABLE, sizes["char_dim"])
        self.char_fwd, self.char_rev = _LampleLSTM(sizes["char_dim"], ch), _LampleLSTM(sizes["char_dim"], ch)
        width = sizes["word_dim"] + 2 * ch
        self.word_fwd, self.word_rev = _LampleLSTM(width, wh), _LampleLSTM(width, wh)
        self.tanh_layer = nn.Linear(2 * wh, wh)
        self.final_layer = nn.Linear(wh, sizes["tags"])

    def forward(self, words: torch.Tensor, token_chars: torch.Tensor) -> torch.Tensor:
        c = self.chars(token_chars[0])  # (tokens, chars, dim): the words are the character LSTMs' batch
        # the state at each word's last character (an index, 0 FLOP): here every word's last position
        chars = torch.cat([self.char_fwd(c)[:, -1], self.char_rev(c.flip(1))[:, -1]], dim=-1)
        x = torch.cat([words, chars.unsqueeze(0)], dim=-1)
        h = torch.cat([self.word_fwd(x), self.word_rev(x.flip(1)).flip(1)], dim=-1)
        return self.final_layer(torch.tanh(self.tanh_layer(h)))


class MaHovyTagger(torch.nn.Module):
    """LasagneNLP's BiLSTM-CNN-CRF (build_BiLSTM_CNN_CRF) from torch.nn: char CNN, BiLSTM, the CRF's pair energies."""

    def __init__(self, sizes: dict):
        super().__init__()
        nn, pairs = torch.nn, (sizes["labels"] + 1) ** 2
        self.chars = nn.Embedding(CHAR_TABLE, sizes["char_dim"])
        self.cnn = nn.Conv1d(sizes["char_dim"], sizes["filters"], sizes["width"], padding=sizes["width"] - 1)
        self.lstm = nn.LSTM(sizes["filters"] + sizes["word_dim"], sizes["hidden"], bidirectional=True, batch_first=True)
        self.crf = nn.Linear(2 * sizes["hidden"], pairs)  # crf.py: tensordot with W (inputs, L + 1, L + 1), + b

    def forward(self, words: torch.Tensor, token_chars: torch.Tensor) -> torch.Tensor:
        c = _word_char_features(self.chars, self.cnn, token_chars, torch.tanh)
        return self.crf(self.lstm(torch.cat([c, words], dim=-1))[0])


def count_lample(tokens: int, token_chars: int) -> Counted:
    """Lample et al.'s tagger over one sentence, its characters padded to its longest word (``token_chars``)."""
    model = _meta(lambda: LampleTagger(LAMPLE))
    words = _vectors(1, tokens, LAMPLE["word_dim"])
    return _count_meta(model, {"words": words, "token_chars": _ids(1, tokens, token_chars)})


def count_ma_hovy(tokens: int, longest_word: int) -> Counted:
    """Ma & Hovy's tagger over one sentence, every word padded to min(45, ``longest_word`` in the data)."""
    model = _meta(lambda: MaHovyTagger(MA_HOVY))
    words = _vectors(1, tokens, MA_HOVY["word_dim"])
    chars = min(MA_HOVY["max_chars"], longest_word)
    return _count_meta(model, {"words": words, "token_chars": _ids(1, tokens, chars)})


class LMLSTMCRF(torch.nn.Module):
    """LM-LSTM-CRF's inference path (model/lm_lstm_crf.py forward) from torch.nn: character LSTMs over the sentence,
    the highway over the gathered word-boundary states, the word BiLSTM, CRF_L's pair scores."""

    def __init__(self, sizes: dict):
        super().__init__()
        nn, ch = torch.nn, sizes["char_hidden"]
        self.chars = nn.Embedding(CHAR_TABLE, sizes["char_dim"])
        self.forw, self.back = nn.LSTM(sizes["char_dim"], ch), nn.LSTM(sizes["char_dim"], ch)
        self.highway = nn.ModuleList(nn.Linear(2 * ch, 2 * ch) for _ in range(2 * sizes["highway"]))
        self.word_lstm = nn.LSTM(sizes["word_dim"] + 2 * ch, sizes["word_hidden"] // 2, bidirectional=True)
        self.crf = nn.Linear(sizes["word_hidden"], sizes["tags"] ** 2)

    def forward(self, chars: torch.Tensor, words: torch.Tensor) -> torch.Tensor:
        # chars: (C + W + 2, 1) ids; words: (W + 1, 1, word_dim) vectors (a lookup)
        c = self.chars(chars)
        f, b = self.forw(c)[0], self.back(c.flip(0))[0]
        n = words.shape[0]  # the gather at the word boundaries: an index, 0 FLOP
        x = torch.cat([f[-n:], b[-n:]], dim=-1)
        for gate, trans in zip(self.highway[0::2], self.highway[1::2], strict=True):
            g = torch.sigmoid(gate(x))
            x = g * torch.relu(trans(x)) + (1 - g) * x
        return self.crf(self.word_lstm(torch.cat([words, x], dim=-1))[0])


class NCRFpp(torch.nn.Module):
    """NCRF++'s Char CNN + Word LSTM + CRF (model/charcnn.py, wordsequence.py) from torch.nn, up to the CRF."""

    def __init__(self, sizes: dict):
        super().__init__()
        nn = torch.nn
        self.chars = nn.Embedding(CHAR_TABLE, sizes["char_dim"])
        self.cnn = nn.Conv1d(sizes["char_dim"], sizes["char_hidden"], 3, padding=1)
        width = sizes["word_dim"] + sizes["char_hidden"]
        self.lstm = nn.LSTM(width, sizes["hidden"] // 2, bidirectional=True, batch_first=True)
        self.hidden2tag = nn.Linear(sizes["hidden"], sizes["tags"])

    def forward(self, words: torch.Tensor, token_chars: torch.Tensor) -> torch.Tensor:
        c = _word_char_features(self.chars, self.cnn, token_chars)  # no activation (charcnn.py)
        return self.hidden2tag(self.lstm(torch.cat([words, c], dim=-1))[0])


def count_lm_lstm_crf(tokens: int, chars: int) -> Counted:
    """LM-LSTM-CRF over one sentence of ``tokens`` words and ``chars`` characters, as model/predictor.py feeds it."""
    model = _meta(lambda: LMLSTMCRF(LM_LSTM_CRF))
    inputs = {"chars": _ids(chars + tokens + 2, 1), "words": _vectors(tokens + 1, 1, LM_LSTM_CRF["word_dim"])}
    return _count_meta(model, inputs)


def count_ncrfpp(tokens: int, token_chars: int) -> Counted:
    """NCRF++ over one sentence, every word padded to its longest (``token_chars``)."""
    model = _meta(lambda: NCRFpp(NCRFPP))
    words = _vectors(1, tokens, NCRFPP["word_dim"])
    return _count_meta(model, {"words": words, "token_chars": _ids(1, tokens, token_chars)})


class FlairTagger(torch.nn.Module):
    """flair v0.2.0's SequenceTagger over [GloVe; news-forward; news-backward] from torch.nn, up to the CRF: each
    character LM over the whole sentence (its decoder run, as v0.2.0 runs it), embedding2nn, the BiLSTM, linear."""

    def __init__(self, sizes: dict):
        super().__init__()
        nn, h = torch.nn, sizes["lm_hidden"]
        self.chars = nn.ModuleList(nn.Embedding(sizes["lm_dict"], sizes["lm_embed"]) for _ in range(2))
        self.lms = nn.ModuleList(nn.LSTM(sizes["lm_embed"], h) for _ in range(2))
        self.decoders = nn.ModuleList(nn.Linear(h, sizes["lm_dict"]) for _ in range(2))
        width = sizes["word_dim"] + 2 * h
        self.embedding2nn = nn.Linear(width, width)
        self.lstm = nn.LSTM(width, sizes["hidden"], bidirectional=True, batch_first=True)
        self.linear = nn.Linear(2 * sizes["hidden"], sizes["tags"])

    def forward(self, words: torch.Tensor, forward_chars: torch.Tensor, backward_chars: torch.Tensor) -> torch.Tensor:
        states = []
        for chars, emb, lm, decoder in zip(
            (forward_chars, backward_chars), self.chars, self.lms, self.decoders, strict=True
        ):
            out = lm(emb(chars))[0]  # (characters, 1, hidden)
            decoder(out)  # computed and discarded by flair v0.2.0's LanguageModel.forward
            states.append(out[-words.shape[1] :].transpose(0, 1))  # the word-boundary states: an index, 0 FLOP
        x = self.embedding2nn(torch.cat([words, *states], dim=-1))
        return self.linear(self.lstm(x)[0])


def count_flair(tokens: int, chars: int) -> Counted:
    """Flair's tagger over one sentence of ``tokens`` tokens and ``chars`` characters (each LM reads chars + the
    spaces between tokens + its two markers)."""
    model = _meta(lambda: FlairTagger(FLAIR))
    length = chars + tokens - 1 + 2
    inputs = {
        "words": _vectors(1, tokens, FLAIR["word_dim"]),
        "forward_chars": _ids(length, 1),
        "backward_chars": _ids(length, 1),
    }
    return _count_meta(model, inputs)


PRE_SOFTMAX = "pre-softmax projection counted"  # a translation model's projection over its vocabulary
LABELS = "label projection counted"  # a small tagger's output layer, a sizeable part of its pass


@dataclass(frozen=True)
class Arch:
    """One architecture at one input: how to count it, what was read, and the paper's parameter total."""

    key: str
    count: object  # () -> Counted
    model_class: str
    input_desc: str
    source: str
    paper_params: float | None = None  # the total the paper or README states (tests/trends checks it)
    library: str = "transformers"  # what built the model, as the unit note names it
    head: str = "task head not counted"  # what the output layer is, and whether it is counted (the unit note says)


def wmt_arch(key: str, count, model_class: str, vocab: tuple[int, str], source: str, **kw) -> Arch:
    """A WMT row's architecture under the per-pass convention, its vocabulary ``(size, where read)`` in the note."""
    desc = (
        f"one sentence pair, {WMT_TOKENS} source + {WMT_TOKENS} target tokens, vocabulary {vocab[0]} ({vocab[1]}; "
        "length: tensor2tensor@bafdc1b6 transformer_base_v1 max_length = 256)"
    )
    return Arch(key, count, model_class, desc, source, head=PRE_SOFTMAX, **kw)


def conll_arch(key: str, count, model_class: str, input_desc: str, source: str, **kw) -> Arch:
    """A CoNLL tagger, built from torch.nn modules, its label projection counted (the unit note says so)."""
    return Arch(key, count, model_class, input_desc, source, library="torch.nn", head=LABELS, **kw)


CONLL_SENTENCE = f"one sentence of {CONLL_LONGEST} tokens"
CONLL_PADDED = (
    f"{CONLL_SENTENCE}, the longest in the CoNLL-2003 test set, characters padded to its longest token, "
    f"{CONLL_LONGEST_TOKEN_CHARS} (counted in {CONLL_COUNTED_IN})"
)
FLAIR_INPUT = (
    f"{CONLL_SENTENCE} and {CONLL_LONGEST_CHARS} characters, the longest in the CoNLL-2003 test set, each LM over "
    f"{CONLL_LONGEST_CHARS + CONLL_LONGEST + 1} characters (the tokens, the spaces between them, two markers; counted "
    f"in {CONLL_COUNTED_IN})"
)


ARCHS = {
    a.key: a
    for a in (
        Arch(
            "bert-large-squad",
            lambda: count_bert(BERT_LARGE, SQUAD_BERT),
            "BertModel",
            f"{SQUAD_BERT} tokens (google-research/bert@eedf571 README.md run_squad.py --max_seq_length=384)",
            BERT_SOURCE,
            340e6,
        ),
        Arch(
            "bert-large-conll",
            lambda: count_bert(BERT_LARGE, CONLL_BERT),
            "BertModel",
            f"{CONLL_BERT} tokens (the longest input BERT was trained with, google-research/bert@eedf571 README.md)",
            BERT_SOURCE,
            340e6,
        ),
        Arch(
            "bert-base-conll",
            lambda: count_bert(BERT_BASE, CONLL_BERT),
            "BertModel",
            f"{CONLL_BERT} tokens (the longest input BERT was trained with, google-research/bert@eedf571 README.md)",
            BERT_SOURCE,
            110e6,
        ),
        conll_arch(
            "elmo-tagger-conll",
            lambda: count_elmo_tagger(CONLL_LONGEST, CONLL_LONGEST_TOKEN_CHARS),
            "modules as allennlp crf_tagger with ELMo (char CNN, highway, projected LSTMs; Conv1d, Linear, LSTM)",
            f"{CONLL_SENTENCE} (the biLM adds <S> and </S>), the longest in the CoNLL-2003 test set, its longest token "
            f"{CONLL_LONGEST_TOKEN_CHARS} characters (counted in {CONLL_COUNTED_IN}; allennlp reads whole sentences)",
            ELMO_SOURCE,
            paper_params=94e6,
        ),
        conll_arch(
            "lample-lstm-crf-conll",
            lambda: count_lample(CONLL_LONGEST, CONLL_LONGEST_TOKEN_CHARS),
            "modules as glample/tagger's LSTM-CRF (character and word LSTMs without forget gate, tanh layer; Linear)",
            CONLL_PADDED,
            LAMPLE_SOURCE,
        ),
        conll_arch(
            "lm-lstm-crf-conll",
            lambda: count_lm_lstm_crf(CONLL_LONGEST, CONLL_LONGEST_CHARS),
            "modules as LM-LSTM-CRF's inference path (character LSTMs, highway, word BiLSTM, CRF_L; LSTM, Linear)",
            f"{CONLL_SENTENCE} and {CONLL_LONGEST_CHARS} characters, the longest in the CoNLL-2003 test set, as "
            f"model/predictor.py feeds it ({CONLL_LONGEST_CHARS + CONLL_LONGEST + 2} characters, {CONLL_LONGEST + 1} "
            f"words; counted in {CONLL_COUNTED_IN})",
            LM_LSTM_CRF_SOURCE,
        ),
        conll_arch(
            "flair-conll",
            lambda: count_flair(CONLL_LONGEST, CONLL_LONGEST_CHARS),
            "modules as flair v0.2.0's SequenceTagger with two Flair character LMs (LSTM, Linear)",
            FLAIR_INPUT,
            FLAIR_SOURCE,
        ),
        conll_arch(
            "crossweigh-flair-conll",
            lambda: count_flair(CONLL_LONGEST, CONLL_LONGEST_CHARS),
            "modules as flair v0.7's SequenceTagger with two Flair character LMs (LSTM, Linear)",
            FLAIR_INPUT,
            CROSSWEIGH_SOURCE,
        ),
        conll_arch(
            "ncrfpp-conll",
            lambda: count_ncrfpp(CONLL_LONGEST, CONLL_LONGEST_TOKEN_CHARS),
            "modules as NCRF++'s Char CNN + Word LSTM + CRF (Conv1d, LSTM, Linear)",
            CONLL_PADDED,
            NCRFPP_SOURCE,
        ),
        conll_arch(
            "ma-hovy-bilstm-cnn-crf-conll",
            lambda: count_ma_hovy(CONLL_LONGEST, CONLL_LONGEST_WORD_CHARS),
            "modules as LasagneNLP's BiLSTM-CNN-CRF (Conv1d, LSTM, the CRF's Linear to 18 x 18 pair energies)",
            f"{CONLL_SENTENCE}, the longest in the CoNLL-2003 data (every sentence is padded to it), words padded to "
            f"{MA_HOVY['max_chars']} characters (MAX_CHAR_LENGTH; the longest word has {CONLL_LONGEST_WORD_CHARS}; "
            f"counted in {CONLL_COUNTED_IN.removesuffix('test.txt')})",
            MA_HOVY_SOURCE,
        ),
        Arch(
            "xlnet-large-squad",
            lambda: count_xlnet(SQUAD_XLNET),
            "XLNetModel",
            f"{SQUAD_XLNET} tokens (zihangdai/xlnet@bbaa3a6 README.md: SQuAD at sequence length 512)",
            XLNET_SOURCE,
        ),
        Arch(
            "spanbert-large-squad",
            lambda: count_bert(BERT_LARGE, SQUAD_SPANBERT),
            "BertModel (BERT-Large configuration)",
            f"{SQUAD_SPANBERT} tokens (facebookresearch/SpanBERT@0670d8b README.md run_squad.py --max_seq_length 512)",
            SPANBERT_SOURCE,
            340e6,
        ),
        Arch(
            "luke-large",
            lambda: count_luke(LUKE_WORDS, LUKE_ENTITIES),
            "LukeModel",
            f"{LUKE_WORDS} word + {LUKE_ENTITIES} entity tokens (studio-ousia/luke@2516545 examples/legacy "
            "reading_comprehension and ner main.py: --max-seq-length 512, --max-entity-length 128)",
            LUKE_SOURCE,
            484e6,
        ),
        Arch(
            "transformer-base-en-de",
            lambda: count_transformer(TRANSFORMER_BASE, VOCAB_EN_DE, WMT_TOKENS),
            "FSMTModel",
            f"one sentence pair, {WMT_TOKENS} source + {WMT_TOKENS} target tokens, vocabulary {VOCAB_EN_DE} "
            "(tensor2tensor@bafdc1b6 transformer_base_v1 max_length = 256)",
            TRANSFORMER_SOURCE,
            65e6,
            head=PRE_SOFTMAX,
        ),
        Arch(
            "transformer-big-en-de",
            lambda: count_transformer(TRANSFORMER_BIG, VOCAB_EN_DE, WMT_TOKENS),
            "FSMTModel",
            f"one sentence pair, {WMT_TOKENS} source + {WMT_TOKENS} target tokens, vocabulary {VOCAB_EN_DE} "
            "(tensor2tensor@bafdc1b6 transformer_base_v1 max_length = 256)",
            TRANSFORMER_SOURCE,
            213e6,
            head=PRE_SOFTMAX,
        ),
        Arch(
            "transformer-base-en-fr",
            lambda: count_transformer(TRANSFORMER_BASE, VOCAB_EN_FR, WMT_TOKENS),
            "FSMTModel",
            f"one sentence pair, {WMT_TOKENS} source + {WMT_TOKENS} target tokens, vocabulary {VOCAB_EN_FR} "
            "(tensor2tensor@bafdc1b6 transformer_base_v1 max_length = 256)",
            TRANSFORMER_SOURCE,
            head=PRE_SOFTMAX,
        ),
        Arch(
            "transformer-big-en-fr",
            lambda: count_transformer(TRANSFORMER_BIG, VOCAB_EN_FR, WMT_TOKENS),
            "FSMTModel",
            f"one sentence pair, {WMT_TOKENS} source + {WMT_TOKENS} target tokens, vocabulary {VOCAB_EN_FR} "
            "(tensor2tensor@bafdc1b6 transformer_base_v1 max_length = 256)",
            TRANSFORMER_SOURCE,
            head=PRE_SOFTMAX,
        ),
        wmt_arch(
            "ott-big-en-de",
            lambda: count_transformer(TRANSFORMER_BIG, VOCAB_OTT_EN_DE, WMT_TOKENS),
            "FSMTModel (fairseq transformer_vaswani_wmt_en_de_big)",
            (VOCAB_OTT_EN_DE, VOCAB_OTT_CITE),
            OTT_SOURCE,
            paper_params=210e6,  # Papers with Code results table (the rows' compute_source)
        ),
        wmt_arch(
            "edunov-big-en-de",
            lambda: count_transformer(TRANSFORMER_BIG, VOCAB_EDUNOV_EN_DE, WMT_TOKENS),
            "FSMTModel (fairseq transformer_wmt_en_de_big)",
            (VOCAB_EDUNOV_EN_DE, VOCAB_EDUNOV_CITE),
            EDUNOV_SOURCE,
        ),
        wmt_arch(
            "admin-60-12-en-de",
            lambda: count_transformer(ADMIN_60_12, VOCAB_OTT_EN_DE, WMT_TOKENS),
            "FSMTModel (fairseq transformer_wmt_en_de, 60 encoder + 12 decoder layers)",
            (VOCAB_OTT_EN_DE, VOCAB_ADMIN_EN_DE_CITE),
            ADMIN_SOURCE,
            paper_params=256e6,  # Papers with Code, "Number of Params 256M" for the En-De 30.1 model
        ),
        wmt_arch(
            "admin-60-12-en-fr",
            lambda: count_transformer(ADMIN_60_12, VOCAB_ADMIN_EN_FR, WMT_TOKENS),
            "FSMTModel (fairseq transformer_wmt_en_de, 60 encoder + 12 decoder layers)",
            (VOCAB_ADMIN_EN_FR, VOCAB_ADMIN_EN_FR_CITE),
            ADMIN_SOURCE,
        ),
        wmt_arch(
            "dynamicconv-big-en-de",
            lambda: count_dynamicconv(DYNAMICCONV_BIG, VOCAB_OTT_EN_DE, WMT_TOKENS),
            "modules as fairseq lightconv_wmt_en_de_big, dynamic convolutions (Linear, GLU, bmm, attention by matmul)",
            (VOCAB_OTT_EN_DE, VOCAB_DYNAMICCONV_CITE),
            DYNAMICCONV_SOURCE,
            library="torch.nn",
        ),
        wmt_arch(
            "gnmt",  # En-De and En-Fr: the same sizes and vocabulary
            lambda: count_gnmt(GNMT, VOCAB_GNMT, WMT_TOKENS),
            "modules as tensorflow/nmt's GNMT wiring at Wu et al.'s sizes (LSTM, LSTMCell, Bahdanau attention; Linear)",
            (VOCAB_GNMT, VOCAB_GNMT_CITE),
            GNMT_SOURCE,
            paper_params=278e6,
            library="torch.nn",
        ),
        wmt_arch(
            "rnmt-plus-en-de",
            lambda: count_rnmt(RNMT_PLUS, VOCAB_RNMT, WMT_TOKENS),
            "modules as lingvo's RNMT+ (LSTM, LSTMCell, multi-head additive attention; Linear)",
            (VOCAB_RNMT, VOCAB_RNMT_CITE),
            RNMT_SOURCE,
            paper_params=378.9e6,
            library="torch.nn",
        ),
        wmt_arch(
            "talk-big-en-de",
            lambda: count_dynamicconv(TALK_BIG, VOCAB_OTT_EN_DE, WMT_TOKENS),
            "modules as TaLK talkconv_wmt_en_de_big (Linear, GLU, offsets Linear, cumsum, attention by matmul)",
            (VOCAB_OTT_EN_DE, VOCAB_TALK_CITE),
            TALK_SOURCE,
            library="torch.nn",
        ),
        wmt_arch(
            "ott-big-en-fr",
            lambda: count_transformer(TRANSFORMER_BIG, VOCAB_EN_FR_JOINED, WMT_TOKENS),
            "FSMTModel (fairseq transformer_vaswani_wmt_en_fr_big)",
            (VOCAB_EN_FR_JOINED, VOCAB_EN_FR_JOINED_CITE),
            OTT_EN_FR_SOURCE,
        ),
        wmt_arch(
            "dynamicconv-big-en-fr",
            lambda: count_dynamicconv(DYNAMICCONV_BIG, VOCAB_EN_FR_JOINED, WMT_TOKENS),
            "modules as fairseq lightconv_wmt_en_fr_big, dynamic convolutions (Linear, GLU, bmm, attention by matmul)",
            (VOCAB_EN_FR_JOINED, VOCAB_DYNAMICCONV_EN_FR_CITE),
            DYNAMICCONV_EN_FR_SOURCE,
            library="torch.nn",
        ),
        wmt_arch(
            "convs2s-en-de",
            lambda: count_convs2s(CONVS2S_EN_DE, VOCAB_CONVS2S, WMT_TOKENS),
            "modules as fairseq fconv_wmt_en_de (Conv1d, GLU, Linear, attention by bmm)",
            (VOCAB_CONVS2S, VOCAB_CONVS2S_CITE),
            CONVS2S_SOURCE,
            library="torch.nn",
        ),
        wmt_arch(
            "convs2s-en-fr",
            lambda: count_convs2s(CONVS2S_EN_FR, VOCAB_CONVS2S, WMT_TOKENS),
            "modules as fairseq fconv_wmt_en_fr (Conv1d, GLU, Linear, attention by bmm)",
            (VOCAB_CONVS2S, VOCAB_CONVS2S_CITE),
            CONVS2S_SOURCE,
            library="torch.nn",
        ),
    )
}

# (benchmark file, model cell, architecture): the rows filled. Rows of other models stay empty: their architecture
# is not built here (the other LSTM taggers, BiDAF, CNNs, the sparse MoE; MUSE, whose code was not found) or a size
# was not read (KT-NET, ANNA, XLNet-GCN; the En-Fr dictionary of Edunov et al. and
# TaLK; AdvSoft's model; the fairseq wmt14.v2.en-fr ConvS2S checkpoint's dictionary).
ROWS = (
    ("squad11.csv", "BERT-Large single", "bert-large-squad"),
    ("squad11.csv", "XLNet single", "xlnet-large-squad"),
    ("squad11.csv", "SpanBERT single", "spanbert-large-squad"),
    ("squad11.csv", "LUKE single", "luke-large"),
    ("conll2003.csv", "BERT Large (Devlin et al., 2018)", "bert-large-conll"),
    ("conll2003.csv", "BERT Base (Devlin et al., 2018)", "bert-base-conll"),
    ("conll2003.csv", "LUKE (Yamada et al., 2020)", "luke-large"),
    ("conll2003.csv", "BiLSTM-CRF+ELMo (Peters et al., 2018)", "elmo-tagger-conll"),
    ("conll2003.csv", "LSTM-CRF (Lample et al., 2016)", "lample-lstm-crf-conll"),
    ("conll2003.csv", "Ma and Hovy (2016)", "ma-hovy-bilstm-cnn-crf-conll"),
    ("conll2003.csv", "LM-LSTM-CRF (Liu et al., 2018)", "lm-lstm-crf-conll"),
    ("conll2003.csv", "NCRF++ (Yang and Zhang, 2018)", "ncrfpp-conll"),
    ("conll2003.csv", "Flair embeddings (Akbik et al., 2018)", "flair-conll"),
    ("conll2003.csv", "CrossWeigh + Flair (Wang et al., 2019)", "crossweigh-flair-conll"),
    ("wmt14_en_de.csv", "Transformer Big (Vaswani et al., 2017)", "transformer-big-en-de"),
    ("wmt14_en_de.csv", "Transformer Base (Vaswani et al., 2017)", "transformer-base-en-de"),
    ("wmt14_en_fr.csv", "Transformer Big (Vaswani et al., 2017)", "transformer-big-en-fr"),
    ("wmt14_en_fr.csv", "Transformer Base (Vaswani et al., 2017)", "transformer-base-en-fr"),
    ("wmt14_en_fr.csv", "Transformer Big (Vaswani et al., 2017; arXiv v5+)", "transformer-big-en-fr"),
    ("wmt14_en_de.csv", "Transformer Big (Ott et al., 2018)", "ott-big-en-de"),
    ("wmt14_en_de.csv", "Transformer Big (Ott et al., 2018), fairseq reproduction", "ott-big-en-de"),
    ("wmt14_en_de.csv", "Transformer Big + BT (Edunov et al., 2018)", "edunov-big-en-de"),
    ("wmt14_en_de.csv", "Admin (Liu et al., 2020)", "admin-60-12-en-de"),
    ("wmt14_en_fr.csv", "Admin (Liu et al., 2020)", "admin-60-12-en-fr"),
    ("wmt14_en_de.csv", "ConvS2S (Gehring et al., 2017)", "convs2s-en-de"),
    ("wmt14_en_de.csv", "DynamicConv (Wu et al., 2019)", "dynamicconv-big-en-de"),
    ("wmt14_en_de.csv", "TaLK Convolutions (Lioutas et al., 2020)", "talk-big-en-de"),
    ("wmt14_en_de.csv", "RNMT+ (Chen et al., 2018)", "rnmt-plus-en-de"),
    ("wmt14_en_de.csv", "GNMT (Wu et al., 2016), as reported by Shazeer et al. 2017", "gnmt"),
    ("wmt14_en_fr.csv", "GNMT (Wu et al., 2016), as reported by Shazeer et al. 2017", "gnmt"),
    ("wmt14_en_fr.csv", "Transformer Big (Ott et al., 2018)", "ott-big-en-fr"),
    ("wmt14_en_fr.csv", "DynamicConv (Wu et al., 2019)", "dynamicconv-big-en-fr"),
    ("wmt14_en_fr.csv", "ConvS2S (Gehring et al., 2017)", "convs2s-en-fr"),
)
SCRIPT = "scripts/count_nlp_rows.py"


def gflops_cell(flop: int) -> str:
    """The exact decimal of ``flop / 1e9`` (an integer count, so no rounding)."""
    text = f"{flop // 10**9}.{flop % 10**9:09d}".rstrip("0")
    return text.rstrip(".")


def unit_note(arch: Arch) -> str:
    return (
        f"GFLOPs counted by flopcast ({SCRIPT}): forward_flop / 1e9 of one forward pass of {arch.library} "
        f"{arch.model_class} over {arch.input_desc}; matmul-class FLOP, bias adds excluded, {arch.head}; "
        "NOT a paper value"
    )


def updated_row(row: dict[str, str], arch: Arch, counted: Counted) -> dict[str, str]:
    """``row`` with the count written in: gflops_forward, flops_unit_note, flop_flag counted, the source cited."""
    out = dict(row)
    out["gflops_forward"] = gflops_cell(counted.flop)
    out["flops_unit_note"] = unit_note(arch)
    flags = [f for f in row.get("flop_flag", "").split(";") if f and f != "counted"]
    out["flop_flag"] = ";".join([*flags, "counted"])
    cite = f"forward FLOP: {SCRIPT} ({arch.source})"
    parts = [p for p in row.get("compute_source", "").split(" | ") if p and not p.startswith("forward FLOP: ")]
    out["compute_source"] = " | ".join([*parts, cite])
    return out


def rewrite(path: Path, counts: dict[str, Counted], *, write: bool) -> list[str]:
    """Update ``path``'s rows listed in :data:`ROWS`; the file keeps its line ending. Returns one line per row."""
    with path.open(encoding="utf-8", newline="") as fh:  # newline="": keep the file's \r\n
        raw = fh.read()
    ending = "\r\n" if "\r\n" in raw else "\n"
    reader = csv.DictReader(io.StringIO(raw, newline=""))
    header, rows = list(reader.fieldnames or []), list(reader)
    wanted = {model: key for file, model, key in ROWS if file == path.name}
    report = []
    for i, row in enumerate(rows):
        key = wanted.pop(row["model"], None)
        if key is not None:
            rows[i] = updated_row(row, ARCHS[key], counts[key])
            report.append(f"{path.name}: {row['model']}: {row['gflops_forward'] or '-'} -> {rows[i]['gflops_forward']}")
    if wanted:
        raise SystemExit(f"{path.name}: no row named {sorted(wanted)}")
    if write:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=header, lineterminator=ending)
        w.writeheader()
        w.writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the counts into the benchmark CSVs")
    args = parser.parse_args(argv)
    counts = {}
    for key, arch in ARCHS.items():
        c = counts[key] = arch.count()
        paper = f"; paper {arch.paper_params / 1e6:.0f}M" if arch.paper_params else ""
        print(
            f"{key:24} {c.flop / 1e9:10.3f} GFLOP  params {c.params / 1e6:7.1f}M, as the paper counts "
            f"{c.paper_params / 1e6:.1f}M{paper}"
        )
    for file in sorted({f for f, _, _ in ROWS}):
        for line in rewrite(BENCHMARKS / file, counts, write=args.write):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
