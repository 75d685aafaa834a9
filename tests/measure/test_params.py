"""A run's two parameter counts: ``model_params`` (every parameter) and ``model_params_non_embedding`` (without
the embedding tables: Kaplan et al. 2020's N, the count of the Hugging Face trainer's ``total_flos``).

Hand counts. The tiny GPT-2 (n_layer=1, n_embd d=32, vocab V=64, n_positions P=16, LM head tied to wte): one block
is ln_1 2d + c_attn (d*3d + 3d) + attn c_proj (d*d + d) + ln_2 2d + c_fc (d*4d + 4d) + mlp c_proj (4d*d + d)
= 12d^2 + 13d = 12,704, plus ln_f 2d = 64: 12,768 outside the embeddings; the embeddings are V*d + P*d =
2,048 + 512 = 2,560; all together 15,328 (the tied head adds nothing).
"""

from __future__ import annotations

import pytest

from flopcast.errors import InputError
from flopcast.measure import track
from flopcast.measure.params import parameter_counts

D, V, P = 32, 64, 16
NON_EMBEDDING = (12 * D * D + 13 * D) + 2 * D  # 12,768
EMBEDDING = V * D + P * D  # 2,560


def _gpt2():
    transformers = pytest.importorskip("transformers")
    cfg = transformers.GPT2Config(n_layer=1, n_embd=D, n_head=2, vocab_size=V, n_positions=P)
    return transformers.GPT2LMHeadModel(cfg)


def _tied_torch_lm(torch):
    """A plain torch LM: token and position tables, one 8x8 layer with bias, a head tied to the token table."""

    class LM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = torch.nn.Embedding(64, 8)  # 512
            self.pos = torch.nn.Embedding(16, 8)  # 128
            self.mix = torch.nn.Linear(8, 8)  # 64 + 8 = 72
            self.head = torch.nn.Linear(8, 64, bias=False)
            self.head.weight = self.tok.weight  # tied: counted once, as an embedding

        def forward(self, ids):
            pos = torch.arange(ids.shape[1])
            return self.head(self.mix(self.tok(ids) + self.pos(pos)))

    return LM()


@pytest.mark.torch
def test_a_hugging_face_gpt2_has_both_counts_by_hand():
    model = _gpt2()
    assert parameter_counts(model) == (NON_EMBEDDING + EMBEDDING, NON_EMBEDDING) == (15_328, 12_768)
    assert parameter_counts(model)[1] == model.num_parameters(exclude_embeddings=True)


@pytest.mark.torch
def test_a_plain_torch_module_leaves_out_its_embedding_tables_and_a_tied_head_once():
    torch = pytest.importorskip("torch")
    assert parameter_counts(_tied_torch_lm(torch)) == (512 + 128 + 72, 72)
    # the same GPT-2 seen as a plain module (no num_parameters): the torch convention gives the trainer's count
    model = _gpt2()
    plain = torch.nn.ModuleDict({"gpt2": model})
    assert parameter_counts(plain) == parameter_counts(model)


@pytest.mark.torch
def test_track_model_records_both_counts(tmp_path):
    torch = pytest.importorskip("torch")
    model = _tied_torch_lm(torch)
    with track(model=model, batch=torch.randint(0, 64, (2, 16)), ledger=tmp_path / "l.sqlite", interval=0.05) as run:
        run.step()
    rec = run.result
    assert (rec.model_params, rec.model_params_non_embedding) == (712, 72)
    assert rec.to_dict()["model_params_non_embedding"] == 72


def test_given_counts_are_recorded_and_checked(tmp_path):
    with track(model_params=1000, model_params_non_embedding=800, ledger=False, interval=0.05) as run:
        run.step()
    assert (run.result.model_params, run.result.model_params_non_embedding) == (1000, 800)
    with pytest.raises(InputError, match="model_params_non_embedding must be a whole number of parameters"):
        track(model_params_non_embedding=0.5)
    with pytest.raises(InputError, match=r"model_params_non_embedding \(1001\) is more than model_params \(1000\)"):
        track(model_params=1000, model_params_non_embedding=1001)


def test_objects_without_torch_parameters_have_no_counts():
    class Tensor:
        def numel(self):
            return 6

    class Params:
        def __init__(self, n):
            self.n = n

        def parameters(self):
            return [Tensor()] * self.n

    assert parameter_counts(None) == (None, None)
    assert parameter_counts(object()) == (None, None)
    assert parameter_counts(Params(0)) == (None, None)  # nothing to count
    assert parameter_counts(Params(2)) == (12, None)  # not a torch module: its embeddings are unknown


def test_non_embedding_count_alone_is_accepted():
    """Only the non-embedding count known (no model, no model_params): it is recorded, not refused as 'more than
    model_params (None)' (the old check compared it with 0)."""
    with track(model_params_non_embedding=800, ledger=False, interval=0.05) as run:
        run.step()
    assert (run.result.model_params, run.result.model_params_non_embedding) == (None, 800)
