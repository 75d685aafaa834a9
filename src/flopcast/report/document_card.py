"""A paper-appendix card from a count and an estimate, without a run: per-pass FLOP, training compute by
operation counting and by hardware burden (chips × peak × hours, Thompson et al. 2020), time, energy, CO2e and
cost, each with the estimate's range. Every figure is planned (*estimated*), none measured.
"""

from __future__ import annotations

import math

from flopcast.errors import InputError
from flopcast.hardware import get_region
from flopcast.provenance import Basis
from flopcast.report.document_inputs import Counted, Planned
from flopcast.report.document_model import GRAMS_PER_KG, CardFacts, Figure, Report, constant_cost_figure, hardware_text
from flopcast.units import SECONDS_PER_HOUR


def _range(planned: Planned, key: str, scale: float = 1.0, unit: str = "") -> str:
    """``'the estimate; range 1.2 – 3.4 (favourable – unfavourable ends of the assumed ranges)'``."""
    lo, hi = (planned.data.get(end, {}).get(key) for end in ("low", "high"))
    if not all(isinstance(v, (int, float)) for v in (lo, hi)) or lo == hi:
        return "the estimate"
    return (
        f"the estimate; range {lo * scale:.4g} – {hi * scale:.4g}{' ' + unit if unit else ''} "
        "(favourable – unfavourable ends of its assumed ranges)"
    )


def _card_mismatch(counted: Counted | None, planned: Planned) -> tuple[str, ...]:
    """A note when the estimate was made for another model size than the count's (both given by the user)."""
    a = planned.assumption("params")
    if counted is None or counted.params is None or a is None or not isinstance(a.value, (int, float)):
        return ()
    if math.isclose(float(a.value), counted.params, rel_tol=0.01):
        return ()
    return (
        f"the estimate's params ({a.value:.4g}) differ from the count's ({counted.params:.4g}): "
        "re-run the estimate with --params from the count",
    )


def check_dataset_tokens(dataset_tokens: float | None) -> float | None:
    """The training dataset's size in tokens as given (``None``: not given); a value that is not a finite number
    above 0 is a one-line :class:`InputError`. ``flopcast report`` calls it before reading any file."""
    if dataset_tokens is None:
        return None
    ok = isinstance(dataset_tokens, (int, float)) and not isinstance(dataset_tokens, bool)
    if not ok or not math.isfinite(dataset_tokens) or dataset_tokens <= 0:
        raise InputError(
            f"--dataset-tokens must be a number of tokens above 0 (got {dataset_tokens!r}); give the training "
            "dataset's size, e.g. 300B"
        )
    return float(dataset_tokens)


def card_report(counted: Counted | None, planned: Planned, dataset_tokens: float | None = None) -> Report:
    """A paper-appendix card from a count and an estimate: per-pass FLOP, training compute by operation counting
    and by hardware burden (chips × peak × hours, Thompson et al. 2020), the dataset's size and epochs (training
    tokens / ``dataset_tokens``, the size given in tokens), time, energy, CO2e, cost."""
    dataset = _dataset_figures(planned, check_dataset_tokens(dataset_tokens))
    counts = _count_figures(counted) if counted is not None else []
    figs = (*counts, *_compute_figures(planned), *dataset, *_planned_figures(planned))
    return Report(
        kind="card",
        subject=counted.model if counted else planned.path,
        title=f"Compute card: {counted.model}" if counted is not None else "Compute card",
        figures=figs,
        assumptions=(*(counted.assumptions if counted else ()), *planned.assumptions),
        card=_planned_card(planned),
        notes=("figures are planned (an estimate), not measured", *_card_mismatch(counted, planned)),
        estimate=planned.data,
        count=counted.data if counted else None,
    )


def _dataset_figures(planned: Planned, dataset_tokens: float | None) -> list[Figure]:
    """Training tokens (the estimate's), the dataset's size (given) and epochs = training tokens / dataset size.

    An estimate counted per example (``--model --examples --epochs``) knows its dataset and epochs; one made from
    tokens knows the tokens, not the dataset, so without ``dataset_tokens`` the size is "not given"."""
    examples, epochs = planned.assumption("examples"), planned.assumption("epochs")
    if dataset_tokens is None and examples is not None and epochs is not None:
        return [
            Figure(
                "dataset_examples",
                _SIZE,
                examples.value,
                "examples",
                "given",
                f"the estimate's examples per epoch ({planned.path})",
            ),
            Figure("epochs", "epochs", epochs.value, "epochs", "given", f"the estimate's epochs ({planned.path})"),
        ]
    tokens = _tokens_figure(planned)
    size = (
        Figure("dataset_tokens", _SIZE, dataset_tokens, "tokens", Basis.GIVEN.value, "given (--dataset-tokens)")
        if dataset_tokens is not None
        else Figure("dataset_tokens", _SIZE, None, "tokens", Basis.UNAVAILABLE.value, _NOT_GIVEN)
    )
    if isinstance(tokens.value, float) and dataset_tokens is not None:
        ratio = tokens.value / dataset_tokens
        return [tokens, size, Figure("epochs", "epochs", ratio, "epochs", Basis.ESTIMATED.value, _EPOCHS)]
    needs = " and ".join(f.label for f in (tokens, size) if f.value is None)
    return [tokens, size, Figure("epochs", "epochs", None, "epochs", Basis.UNAVAILABLE.value, f"needs {needs}")]


_SIZE = "training dataset size"
_NOT_GIVEN = "not given: pass --dataset-tokens N (an estimate knows the training tokens, not the dataset)"
_EPOCHS = "training tokens / training dataset size (given)"


def _tokens_figure(planned: Planned) -> Figure:
    """The training tokens the estimate was made with (``--tokens``); unavailable when it has none."""
    a = planned.assumption("tokens")
    if a is None or not isinstance(a.value, (int, float)) or isinstance(a.value, bool):
        why = "the estimate has none (made without --tokens)"
        return Figure("training_tokens", "training tokens", None, "tokens", Basis.UNAVAILABLE.value, why)
    source = f"the estimate ({a.source})"
    return Figure("training_tokens", "training tokens", float(a.value), "tokens", a.basis.value, source)


def _count_figures(counted: Counted) -> list[Figure]:
    """The model, its parameters and its FLOP per pass, as ``flopcast count`` counted them."""
    return [
        Figure("model", "model", counted.model, "", Basis.GIVEN.value, counted.path),
        Figure("params", "parameters", counted.params, "", Basis.MEASURED.value, "flopcast count"),
        Figure(
            "forward_flop",
            f"FLOP per pass ({counted.mode})",
            counted.forward_flop,
            "FLOP",
            Basis.ESTIMATED.value,
            "flopcast count (a multiply-add = 2 FLOP)" + ("; INCOMPLETE: a lower bound" if counted.incomplete else ""),
        ),
    ]


def _compute_figures(planned: Planned) -> list[Figure]:
    """Training compute two ways: operation counting (when the estimate used it) and hardware burden at peak."""
    burden = (
        planned.chips * planned.peak_flop_per_s * planned.wall_hours * SECONDS_PER_HOUR
        if planned.chips and planned.peak_flop_per_s and planned.wall_hours
        else None
    )
    counting = planned.training_flop if planned.method.startswith("operation counting") else None
    return [
        Figure(
            "training_flop_counting",
            "training compute (operation counting)",
            counting,
            "FLOP",
            Basis.ESTIMATED.value if counting is not None else Basis.UNAVAILABLE.value,
            planned.method if counting is not None else f"the estimate's method is {planned.method!r}",
        ),
        Figure(
            "training_flop_burden",
            "training compute (hardware burden, at peak)",
            burden,
            "FLOP",
            Basis.ESTIMATED.value if burden is not None else Basis.UNAVAILABLE.value,
            "chips × peak FLOP/s × hours (Thompson et al. 2020)"
            if burden is not None
            else "needs hardware, chips and hours in the estimate",
        ),
    ]


def _planned_figures(planned: Planned) -> list[Figure]:
    """Hardware, time, chip-hours, energy, CO2e and cost of the estimate, each with its range."""
    est = Basis.ESTIMATED.value
    wall_seconds = planned.wall_hours * SECONDS_PER_HOUR if planned.wall_hours is not None else None
    return [
        Figure(
            "hardware",
            "hardware",
            hardware_text(planned.hardware, planned.chips),
            "",
            Basis.GIVEN.value if planned.hardware else Basis.UNAVAILABLE.value,
            planned.path,
        ),
        Figure("wall_seconds", "time", wall_seconds, "s", est, _range(planned, "wall_hours", SECONDS_PER_HOUR, "s")),
        Figure("chip_hours", "chip-hours", planned.chip_hours, "h", est, _range(planned, "chip_hours")),
        Figure("energy_kwh", "energy (facility)", planned.energy_kwh, "kWh", est, _range(planned, "energy_kwh")),
        Figure("co2e_kg", "CO2e", planned.co2e_kg, "kg", est, _range(planned, "co2e_kg")),
        Figure("cost_usd", "cost", planned.cost_usd, "USD", est, _range(planned, "cost_usd")),
        constant_cost_figure(planned.cost_usd, planned.price_as_of),
    ]


def _planned_card(planned: Planned) -> CardFacts:
    """The card block of an estimate: planned emissions, the grid region when the user gave one."""
    return CardFacts(
        planned.co2e_kg * GRAMS_PER_KG if planned.co2e_kg is not None else None,
        f"flopcast estimate (planned, not measured: {planned.method})",
        region_label(planned.region),
        hardware_text(planned.hardware, planned.chips),
    )


def region_label(code: str | None) -> str | None:
    """``"FRA"`` -> ``"FRA (France)"`` from the grid catalogue (an unknown code as given; ``None`` stays None)."""
    if code is None:
        return None
    try:
        return get_region(code).label
    except InputError:
        return code
