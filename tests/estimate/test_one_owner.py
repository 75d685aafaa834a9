"""One owner per fact (issue 12): 6ND lives in ``flopcast.estimate.formulas``; the estimate pipeline is split."""

from __future__ import annotations

import pytest

from flopcast.estimate import formulas as F


def test_six_nd_has_one_owner_that_scaling_imports():
    from flopcast.scaling import laws, laws_plan, laws_runs

    assert F.FLOP_PER_PARAM_TOKEN == 6.0  # Kaplan et al. 2020 sec. 2.1: 2ND forward + 4ND backward
    assert laws.FLOP_PER_PARAM_TOKEN is F.FLOP_PER_PARAM_TOKEN
    assert laws_plan.FLOP_PER_PARAM_TOKEN is laws_runs.FLOP_PER_PARAM_TOKEN is F.FLOP_PER_PARAM_TOKEN


def test_six_nd_formulas_use_the_owner(monkeypatch):
    # GPT-3 by hand: 6 x 175e9 x 300e9 = 3.15e23 FLOP (Brown et al. 2020 Table D.1 lists 3.14e23)
    assert F.dense_transformer_training_flop(175e9, 300e9) == pytest.approx(3.15e23)
    monkeypatch.setattr(F, "FLOP_PER_PARAM_TOKEN", 7.0)  # a formula that typed its own 6 would not follow
    assert F.dense_transformer_training_flop(1.0, 1.0) == 7.0
    assert F.encoder_decoder_training_flop(2.0, 1.0) == 7.0
