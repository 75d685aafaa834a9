"""``flopcast scaling fit --ledger L [--tag P]``: a scaling law fitted straight from runs tracked through the real API.

The runs' final losses follow Hoffmann et al. (2022) eq. 10, L = 1.69 + 406.4/N^0.34 + 410.7/D^0.28, on a grid of
4 model sizes x 3 token ratios (so N and D vary independently); a noiseless fit must give those constants back.
"""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from flopcast.cli import main
from flopcast.errors import InputError
from flopcast.measure import track
from flopcast.scaling.laws_runs import ledger_runs

E, A, B, ALPHA, BETA = 1.69, 406.4, 410.7, 0.34, 0.28


def chinchilla(n: float, d: float) -> float:
    return E + A / n**ALPHA + B / d**BETA


def tracked(path, *, name, n, d, loss, steps=2, params=True, tokens=True, fail=False):
    """One run through the real tracker: ``steps`` steps of d/steps tokens, the last one at ``loss``."""
    run = track(
        ledger=path,
        interval=0.05,
        name=name,
        model_params=int(n) if params else None,
        flop_per_step=6 * n * d / steps,
        install_signal_handlers=False,
    )
    with contextlib.suppress(RuntimeError), run:
        for i in range(steps):
            run.step(loss=loss + (steps - 1 - i) * 0.5, tokens=int(d // steps) if tokens else None)
        if fail:
            raise RuntimeError("diverged")
    return run.run_id


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    path = tmp_path_factory.mktemp("led") / "runs.sqlite"
    for n in (1e7, 3e7, 1e8, 3e8):
        for ratio in (5, 20, 80):
            tracked(path, name=f"sweep-{n:g}-{ratio}", n=n, d=ratio * n, loss=chinchilla(n, ratio * n))
    skipped = {
        "no-params": tracked(path, name="sweep-x1", n=1e7, d=2e8, loss=3.0, params=False),
        "no-tokens": tracked(path, name="sweep-x2", n=1e7, d=2e8, loss=3.0, tokens=False),
        "failed": tracked(path, name="sweep-x3", n=1e7, d=2e8, loss=3.0, fail=True),
    }
    tracked(path, name="other-1", n=1e9, d=2e10, loss=9.9)  # not in the sweep: --tag leaves it out
    return path, skipped


def _fit(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_ledger_runs_take_n_d_loss_and_measured_compute(ledger):
    path, skipped = ledger
    found = ledger_runs(path, tag="sweep-*")
    assert len(found.runs) == 12 and found.runs.derived == ()
    assert sorted(s.split()[0] for s in found.skipped) == sorted(skipped.values())
    i = list(found.runs.params).index(1e8)
    n, d = found.runs.params[i], found.runs.tokens[i]
    assert found.runs.loss[i] == pytest.approx(chinchilla(n, d), rel=1e-12)
    assert found.runs.flop[i] == pytest.approx(6 * n * d, rel=1e-12)  # measured steps x FLOP per step


def test_fit_from_the_ledger_recovers_the_law(ledger):
    path, skipped = ledger
    code, out, err = _fit(["scaling", "fit", "--ledger", str(path), "--tag", "sweep-*", "--bootstrap", "0", "--json"])
    assert code == 0, err
    fit = json.loads(out)
    assert fit["law"] == "chinchilla" and fit["n"] == 12
    got = fit["params"]
    assert got["E"] == pytest.approx(E, rel=1e-3) and got["alpha"] == pytest.approx(ALPHA, rel=1e-3)
    assert got["beta"] == pytest.approx(BETA, rel=1e-3)
    warning = [line for line in err.splitlines() if "skipped" in line]
    assert len(warning) == 1 and all(r in warning[0] for r in skipped.values())
    assert "no parameter count" in warning[0] and "no tokens" in warning[0] and "status failed" in warning[0]


def test_tag_selects_by_name(ledger):
    path, _ = ledger
    code, _, err = _fit(["scaling", "fit", "--ledger", str(path), "--tag", "other-*", "--bootstrap", "0"])
    assert code == 2 and "1 run(s) are too few for the chinchilla law" in err and err.count("\n") == 1
    code, _, err = _fit(["scaling", "fit", "--ledger", str(path), "--tag", "nosuch*", "--bootstrap", "0"])
    assert code == 2 and "no tracked runs have a name matching the tag" in err and err.count("\n") == 1


def test_too_few_runs_is_one_line_that_counts_the_skipped(tmp_path):
    path = tmp_path / "few.sqlite"
    for n in (1e7, 1e8, 1e9):
        tracked(path, name="s", n=n, d=20 * n, loss=chinchilla(n, 20 * n))
    tracked(path, name="s", n=1e7, d=2e8, loss=3.0, tokens=False)
    code, out, err = _fit(["scaling", "fit", "--ledger", str(path), "--bootstrap", "0"])
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "3 run(s) are too few" in err and "1 more in the ledger were skipped" in err and "no tokens" in err


def test_ledger_alone_refuses_column_options_and_nothing_at_all_is_an_error(ledger):
    path, _ = ledger
    code, _, err = _fit(["scaling", "fit", "--ledger", str(path), "--params-col", "N"])
    assert code == 2 and "come from the ledger" in err
    code, _, err = _fit(["scaling", "fit"])
    assert code == 2 and "give RUNS.csv, or --ledger" in err


def test_ledger_runs_drop_the_highest_losses_as_read_runs_does(ledger):
    path, skipped = ledger
    every = ledger_runs(path, tag="sweep-*")
    kept = ledger_runs(path, tag="sweep-*", drop_highest_loss=2)
    assert len(kept.runs) == 10 and kept.skipped == every.skipped and len(kept.skipped) == len(skipped)
    assert sorted(kept.runs.loss) == sorted(every.runs.loss)[:10]


def test_fit_can_use_the_final_eval_loss_instead_of_the_training_loss(tmp_path):
    path = tmp_path / "eval.sqlite"
    for n in (1e7, 1e8):
        for ratio in (5, 20, 80):
            run = track(
                ledger=path,
                interval=0.05,
                name=f"e-{n:g}-{ratio}",
                model_params=int(n),
                flop_per_step=3 * n * ratio * n,
                install_signal_handlers=False,
            )
            with run:
                run.step(loss=9.0, tokens=int(ratio * n // 2))
                run.step(loss=8.0, tokens=int(ratio * n // 2))
                run.observe(metrics={"eval_loss": chinchilla(n, ratio * n)})
    train = ledger_runs(path)
    held_out = ledger_runs(path, loss="eval")
    assert set(train.runs.loss) == {8.0}
    expected = sorted(chinchilla(n, r * n) for n in (1e7, 1e8) for r in (5, 20, 80))
    assert sorted(held_out.runs.loss) == pytest.approx(expected, rel=1e-12)
    code, _out, err = _fit(["scaling", "fit", "--ledger", str(path), "--loss", "eval", "--bootstrap", "0", "--json"])
    assert code == 0, err
    code, _, err = _fit(["scaling", "fit", "--ledger", str(path), "--loss", "best"])
    assert code == 2 and "unknown --loss 'best'" in err


def test_ledger_runs_can_take_n_without_the_embeddings(tmp_path):
    """``params="non-embedding"``: N is each run's model_params_non_embedding (runs without it are skipped, named);
    the default stays every parameter."""
    path = tmp_path / "ne.sqlite"
    sizes = {"a": (1_000_000, 800_000), "b": (3_000_000, 2_600_000), "c": (9_000_000, None)}
    for name, (n, ne) in sizes.items():
        run = track(
            ledger=path,
            interval=0.05,
            name=name,
            model_params=n,
            model_params_non_embedding=ne,
            install_signal_handlers=False,
        )
        with run:
            run.step(loss=3.0, tokens=20 * n)
    every = ledger_runs(path)
    inner = ledger_runs(path, params="non-embedding")
    assert list(every.runs.params) == [1e6, 3e6, 9e6] and every.skipped == ()
    assert list(inner.runs.params) == [8e5, 2.6e6]
    assert list(inner.runs.flop) == [6 * 8e5 * 2e7, 6 * 2.6e6 * 6e7]  # C = 6ND with that N (no FLOP measured)
    assert len(inner.skipped) == 1 and inner.skipped[0].endswith("(no non-embedding parameter count)")
    with pytest.raises(InputError, match="unknown --params 'embedding'; choose all"):
        ledger_runs(path, params="embedding")


def test_fit_params_non_embedding_recovers_a_law_in_the_non_embedding_n(tmp_path):
    """Losses on Hoffmann et al.'s law in the non-embedding N, with embedding tables of 2^20 parameters on top:
    ``--params non-embedding`` gives the constants back; the default (every parameter) cannot."""
    path = tmp_path / "ne.sqlite"
    embedding = 2**20
    for n in (1e7, 3e7, 1e8, 3e8):
        for ratio in (5, 20, 80):
            run = track(
                ledger=path,
                interval=0.05,
                name=f"ne-{n:g}-{ratio}",
                model_params=int(n) + embedding,
                model_params_non_embedding=int(n),
                install_signal_handlers=False,
            )
            with run:
                run.step(loss=chinchilla(n, ratio * n), tokens=int(ratio * n))
    args = ["scaling", "fit", "--ledger", str(path), "--bootstrap", "0", "--json"]
    code, out, err = _fit([*args, "--params", "non-embedding"])
    assert code == 0, err
    got = json.loads(out)["params"]
    assert got["E"] == pytest.approx(E, rel=1e-3) and got["alpha"] == pytest.approx(ALPHA, rel=1e-3)
    code, out, err = _fit(args)
    assert code == 0, err
    assert json.loads(out)["params"]["alpha"] != pytest.approx(ALPHA, rel=1e-2)
    code, _, err = _fit([*args, "--params", "half"])
    assert code == 2 and "unknown --params 'half'" in err and err.count("\n") == 1
    code, _, err = _fit(["scaling", "fit", str(tmp_path / "runs.csv"), "--params", "non-embedding"])
    assert code == 2 and "--params picks the ledger's recorded parameter count" in err
