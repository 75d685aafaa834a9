"""Runs to fit a scaling law to: model size, tokens, compute and loss, read strictly from a CSV.

Or from a ``flopcast track`` ledger (:func:`ledger_runs`): N is each run's recorded parameter count, D its
recorded tokens seen, the loss its final loss, and the compute its measured steps x FLOP per step.

Each run needs a loss and either training FLOP (for the compute-only laws) or model size and tokens (for
Chinchilla and Kaplan). Given two of (params, tokens, flop), the third follows from C = 6·N·D (Kaplan et
al. 2020, sec. 2.1), so Epoch AI's Chinchilla file (``Model Size``, ``Training FLOP``, ``loss``) works as is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from flopcast.errors import InputError
from flopcast.scaling.laws import FLOP_PER_PARAM_TOKEN, get_law
from flopcast.scaling.laws_fit import LawFit, fit_law


@dataclass(frozen=True, eq=False)
class Runs:
    """Per-run arrays (``None`` where unknown); ``where[i]`` is ``file:line`` of run ``i``."""

    loss: np.ndarray
    params: np.ndarray | None
    tokens: np.ndarray | None
    flop: np.ndarray | None
    source: str
    where: tuple[str, ...]
    derived: tuple[str, ...] = ()  # which of params/tokens/flop came from C = 6ND

    def __len__(self) -> int:
        return len(self.loss)

    def subset(self, mask) -> Runs:
        pick = lambda a: None if a is None else a[mask]  # noqa: E731
        idx = np.flatnonzero(mask)
        return Runs(
            self.loss[mask],
            pick(self.params),
            pick(self.tokens),
            pick(self.flop),
            self.source,
            tuple(self.where[i] for i in idx),
            self.derived,
        )

    def inputs(self) -> dict[str, Any]:
        return {"loss": self.loss, "params": self.params, "tokens": self.tokens, "flop": self.flop}

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "n": len(self),
            "derived": list(self.derived),
            **{k: None if v is None else v.tolist() for k, v in self.inputs().items()},
        }


def make_runs(
    *, loss, params=None, tokens=None, flop=None, source: str = "arrays", where: tuple[str, ...] | None = None
) -> Runs:
    """Runs from arrays, completing the third of (params, tokens, flop) from C = 6ND."""
    arr = {
        k: None if v is None else np.asarray(v, float).ravel()
        for k, v in (("loss", loss), ("params", params), ("tokens", tokens), ("flop", flop))
    }
    derived = []
    if arr["flop"] is None and arr["params"] is not None and arr["tokens"] is not None:
        arr["flop"] = FLOP_PER_PARAM_TOKEN * arr["params"] * arr["tokens"]
        derived.append("flop")
    elif arr["tokens"] is None and arr["params"] is not None and arr["flop"] is not None:
        arr["tokens"] = arr["flop"] / (FLOP_PER_PARAM_TOKEN * arr["params"])
        derived.append("tokens")
    elif arr["params"] is None and arr["tokens"] is not None and arr["flop"] is not None:
        arr["params"] = arr["flop"] / (FLOP_PER_PARAM_TOKEN * arr["tokens"])
        derived.append("params")
    loss_arr = arr["loss"]
    if loss_arr is None:
        raise InputError("every run needs a loss")
    n = len(loss_arr)
    return Runs(
        loss_arr,
        arr["params"],
        arr["tokens"],
        arr["flop"],
        source,
        where or tuple(f"run {i + 1}" for i in range(n)),
        tuple(derived),
    )


def read_runs(
    path: str | Path,
    *,
    loss_col: str = "loss",
    params_col: str | None = None,
    tokens_col: str | None = None,
    flop_col: str | None = None,
    drop_highest_loss: int = 0,
    ledger: str | Path | None = None,
    run_col: str | None = None,
) -> Runs:
    """Read runs from a CSV; every named column must exist and hold positive numbers.

    ``drop_highest_loss`` leaves out that many runs with the highest loss (Besiroglu et al. 2024 drop 5
    of the Chinchilla runs as outliers). With ``ledger`` (a ``flopcast track`` run ledger) and ``run_col``
    (the CSV column of run ids), each run's compute is the ledger's *measured* steps x FLOP per step; the
    CSV gives the loss (and model size). The ledger records no loss, so it cannot be the only source.

    Raises
    ------
    DataFormatError
        A missing column (names the header), an empty, non-numeric or non-positive cell (``file:line column``).
    InputError
        Neither a compute column nor a size column named; a file that is not there.
    """
    from flopcast.data import read_csv

    if ledger is not None:
        if run_col is None or flop_col is not None:
            raise InputError(
                "with --ledger, name the run-id column with --run-col (and no --flop-col: the "
                "compute comes from the ledger)"
            )
        rows = read_csv(path, [c for c in (loss_col, params_col, tokens_col, run_col) if c])
        if not rows:
            raise InputError(f"{path}: no runs (the file has a header and no rows)")
        flop = ledger_flop(ledger, rows, run_col)
        values = {
            k: None if c is None else np.array([r.number(c, required=True, positive=True) for r in rows])
            for k, c in (("loss", loss_col), ("params", params_col), ("tokens", tokens_col))
        }
        runs = make_runs(
            **values, flop=flop, source=f"{path} + ledger {ledger}", where=tuple(f"{r.file}:{r.line}" for r in rows)
        )
        return drop_highest(runs, drop_highest_loss)
    if flop_col is None and params_col is None and tokens_col is None:
        raise InputError(
            "name the compute with --flop-col, or the model size with --params-col and --tokens-col (or --flop-col)"
        )
    cols = {"loss": loss_col, "params": params_col, "tokens": tokens_col, "flop": flop_col}
    rows = read_csv(path, [c for c in cols.values() if c])
    if not rows:
        raise InputError(f"{path}: no runs (the file has a header and no rows)")
    values = {
        k: None if c is None else np.array([r.number(c, required=True, positive=True) for r in rows])
        for k, c in cols.items()
    }
    runs = make_runs(**values, source=str(path), where=tuple(f"{r.file}:{r.line}" for r in rows))
    return drop_highest(runs, drop_highest_loss)


def ledger_flop(ledger: str | Path, rows, run_col: str) -> np.ndarray:
    """Measured training FLOP (steps x FLOP per step) of each row's run in a ``flopcast track`` ledger."""
    from flopcast.errors import DataFormatError, FlopcastError
    from flopcast.measure import Ledger
    from flopcast.measure.ledger import decode

    out = []
    with Ledger(ledger, readonly=True) as book:
        for r in rows:
            run_id = r.get(run_col)
            try:
                row = decode(book.run(run_id))
            except FlopcastError as exc:
                raise DataFormatError(r.file, str(exc), line=r.line, column=run_col) from None
            raw = row.get("record")
            record: dict[str, Any] = raw if isinstance(raw, dict) else {}
            per_step, steps = record.get("flop_per_step"), row.get("steps") or record.get("steps")
            if not per_step or not steps:
                raise DataFormatError(
                    r.file,
                    f"ledger run {row['run_id']} has no FLOP per step or no steps; "
                    "track runs with flop_per_step=... and run.step()",
                    line=r.line,
                    column=run_col,
                )
            out.append(float(per_step) * float(steps))
    return np.array(out)


@dataclass(frozen=True, eq=False)
class LedgerRuns:
    """The runs a ledger gives a fit, and those it skipped (``run_id (why)``, for a one-line warning)."""

    runs: Runs
    skipped: tuple[str, ...]

    def warning(self) -> str | None:
        """One line naming the skipped runs (at most 8, then a count), or ``None``."""
        if not self.skipped:
            return None
        shown = ", ".join(self.skipped[:8]) + (f" and {len(self.skipped) - 8} more" if len(self.skipped) > 8 else "")
        return f"skipped {len(self.skipped)} ledger run(s) without a parameter count, tokens or final loss: {shown}"


#: Which recorded loss a ledger fit uses: the last logged training loss, or the final evaluation loss.
LEDGER_LOSSES = {"final": ("final_loss", "final loss"), "eval": ("final_eval_loss", "final eval loss")}
#: Which recorded parameter count is N: every parameter, or those outside the embedding tables (Kaplan et al.
#: 2020's N, and the count of the Hugging Face trainer's total_flos; see flopcast.measure.params).
LEDGER_PARAMS = {
    "all": ("model_params", "parameter count"),
    "non-embedding": ("model_params_non_embedding", "non-embedding parameter count"),
}


def _ledger_point(
    row: dict[str, Any], loss: str = "final", params: str = "all"
) -> tuple[tuple[float, float, float, float | None] | None, str]:
    """(loss, params, tokens, measured flop or None) of one decoded run row, or ``None`` and what it lacks."""
    raw = row.get("record")
    rec: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if row.get("status") != "completed":
        return None, f"status {row.get('status')}"
    key, label = LEDGER_LOSSES[loss]
    n_key, n_label = LEDGER_PARAMS[params]
    values: dict[str, Any] = {label: rec.get(key), n_label: rec.get(n_key), "tokens": rec.get("tokens_seen")}
    lacking = [k for k, v in values.items() if not (isinstance(v, (int, float)) and np.isfinite(v) and v > 0)]
    if lacking:
        return None, "no " + " or ".join(lacking)
    per_step, steps = rec.get("flop_per_step"), rec.get("steps")
    flop = (
        float(per_step) * float(steps)
        if isinstance(per_step, (int, float)) and isinstance(steps, int) and per_step > 0 and steps > 0
        else None
    )
    return (float(values[label]), float(values[n_label]), float(values["tokens"]), flop), ""


def ledger_runs(
    ledger: str | Path, *, tag: str | None = None, drop_highest_loss: int = 0, loss: str = "final", params: str = "all"
) -> LedgerRuns:
    """Runs straight from a ``flopcast track`` ledger: completed runs (whose name matches the glob ``tag``)
    with a recorded parameter count, tokens seen and loss (``loss``: ``"final"``, the last logged training
    loss, or ``"eval"``, the final evaluation loss); the rest are listed as skipped. N is the recorded
    ``model_params`` (``params="all"``) or ``model_params_non_embedding`` (``params="non-embedding"``: the
    parameters outside the embedding tables, Kaplan et al. 2020's N, which the Hugging Face trainer's
    ``total_flos`` counts; runs recorded before flopcast kept that count are skipped). The
    ``drop_highest_loss`` runs of highest loss are left out as outliers (:func:`drop_highest`, as in :func:`read_runs`).

    Compute is the measured steps x FLOP per step when every run has it, else C = 6ND. O(runs) time.

    Raises
    ------
    LedgerError
        The ledger cannot be read.
    InputError
        No run matches ``tag``, or none of those that do has all three figures.
    """
    from fnmatch import fnmatchcase

    from flopcast.measure import Ledger
    from flopcast.measure.ledger import decode

    if loss not in LEDGER_LOSSES:
        raise InputError(
            f"unknown --loss {loss!r}; choose final (the last training loss) or eval (the final eval loss)"
        )
    if params not in LEDGER_PARAMS:
        raise InputError(
            f"unknown --params {params!r}; choose all (every parameter) or non-embedding (without the embedding tables)"
        )
    points, where, skipped, matched = [], [], [], 0
    with Ledger(ledger, readonly=True) as book:
        rows = [decode(r) for r in book.runs()]
    for row in rows:
        if tag is not None and not fnmatchcase(row.get("name") or "", tag):
            continue
        matched += 1
        point, why = _ledger_point(row, loss, params)
        if point is None:
            skipped.append(f"{row['run_id']} ({why})")
        else:
            points.append(point)
            where.append(f"run {row['run_id']}" + (f" ({row['name']})" if row.get("name") else ""))
    label = f"ledger {ledger}" + (f" --tag {tag}" if tag is not None else "")
    if not matched:
        raise InputError(
            f"{label}: no tracked runs"
            + (
                " have a name matching the tag; name runs with track(name=...) or give another --tag"
                if tag is not None
                else ""
            )
        )
    if not points:
        raise InputError(
            f"{label}: none of its {matched} run(s) has a {LEDGER_PARAMS[params][1]}, tokens and a "
            f"{LEDGER_LOSSES[loss][1]}; "
            "track them with flopcast.integrations.HFCallback or run.step(loss=..., tokens=...) "
            "and model_params=..."
        )
    losses, sizes, tokens, flop = (np.array(col) for col in zip(*points, strict=True))
    measured = flop if all(f is not None for f in flop) else None
    runs = make_runs(
        loss=losses,
        params=sizes,
        tokens=tokens,
        flop=None if measured is None else measured.astype(float),
        source=label,
        where=tuple(where),
    )
    return LedgerRuns(drop_highest(runs, drop_highest_loss), tuple(skipped))


def fit_ledger_runs(found: LedgerRuns, law: str | None = None, **options: Any) -> LawFit:
    """:func:`fit_runs` on ledger runs; too few runs is one line that also counts the skipped ones."""
    from flopcast.scaling.laws_fit import TooFewRunsError

    try:
        return fit_runs(found.runs, law, **options)
    except TooFewRunsError as exc:
        if not found.skipped:
            raise
        raise TooFewRunsError(
            f"{exc} ({len(found.skipped)} more in the ledger were skipped: "
            f"{', '.join(found.skipped[:3])}{' ...' if len(found.skipped) > 3 else ''})"
        ) from None


def drop_highest(runs: Runs, k: int) -> Runs:
    """``runs`` without the ``k`` runs of highest loss (ties at the cut-off go too)."""
    if k <= 0:
        return runs
    if k >= len(runs):
        raise InputError(f"cannot drop the {k} highest-loss runs of {len(runs)}")
    return runs.subset(runs.loss < np.sort(runs.loss)[-k])


def default_law(runs: Runs) -> str:
    """Chinchilla when every run has a size and tokens, else the compute-only law."""
    return "chinchilla" if runs.params is not None and runs.tokens is not None else "compute"


def fit_runs(runs: Runs, law: str | None = None, **options: Any) -> LawFit:
    """Fit ``law`` (default: :func:`default_law`) to ``runs``; ``options`` go to :func:`fit_law`."""
    spec = get_law(law or default_law(runs))
    missing = [k for k in spec.inputs if getattr(runs, k) is None]
    if missing:
        raise InputError(
            f"the {spec.name} law needs {' and '.join(missing)} per run; name the column(s) "
            f"({', '.join('--' + m + '-col' for m in missing)}) or choose --law compute"
        )
    return fit_law(spec, loss=runs.loss, params=runs.params, tokens=runs.tokens, flop=runs.flop, **options)
