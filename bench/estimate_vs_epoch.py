"""flopcast's training-compute estimates vs Epoch AI's published figures for ten well-known models.

Two methods, each where its inputs exist:

* operation counting: 6 N D from the papers' own parameter and token counts (language models), or
  3 x forward FLOP x examples x epochs (vision), via ``flopcast.estimate.estimate``;
* hardware burden: chips x dense peak x hours x utilization, with the chips, hardware and hours of
  Epoch's own table (``data/epoch/ml_systems.csv``) and Epoch's CONVENTION for utilization (0.3 for
  language models, 0.4 otherwise), not the row's MFU column (which Epoch often derives from its
  own compute figure, so using it would be circular).

Prints a markdown table with the ratio flopcast / Epoch per row and the median absolute error,
as |log10(ratio)| (primary) and as the equivalent percent. Run: ``python bench/estimate_vs_epoch.py``.
"""

from __future__ import annotations

import csv
import math
import statistics

from flopcast.data import path
from flopcast.errors import InputError
from flopcast.estimate import estimate

# model (Epoch "Model" column) -> (operation-counting inputs, their source, LLM?)
MODELS = {
    "GPT-3 175B (davinci)": ({"params": 175e9, "tokens": 300e9}, "Brown et al. 2020: 175B params, 300B tokens", True),
    "Chinchilla": ({"params": 70e9, "tokens": 1.4e12}, "Hoffmann et al. 2022: 70B params, 1.4T tokens", True),
    "LLaMA-65B": ({"params": 65.2e9, "tokens": 1.4e12}, "Touvron et al. 2023: 65.2B params, 1.4T tokens", True),
    "PaLM (540B)": ({"params": 540.35e9, "tokens": 780e9}, "Chowdhery et al. 2022: 540.35B params, 780B tokens", True),
    "BLOOM-176B": ({"params": 176.247e9, "tokens": 366e9}, "Le Scao et al. 2022: 176B params, 366B tokens", True),
    "OPT-175B": ({"params": 175e9, "tokens": 180e9}, "Zhang et al. 2022: 175B params, 180B tokens", True),
    "Llama 2-70B": ({"params": 70e9, "tokens": 2e12}, "Touvron et al. 2023b: 70B params, 2T tokens", True),
    "T5-11B": (
        {"params": 11e9, "tokens": 2**11 * 512 * 1e6, "architecture": "encoder-decoder"},
        "Raffel et al. 2020: 11B params, 1M steps x 2^11 sequences x 512 tokens (encoder-decoder: 6 (N/2) D)",
        True,
    ),
    "BERT-Large": (
        {"params": 340e6, "tokens": 1e6 * 256 * 512},
        "Devlin et al. 2019: 340M params, 1M steps x 256 sequences x 512 tokens",
        True,
    ),
    "AlexNet": (
        {"forward_flop": 2 * 0.714e9, "examples": 1.2e6, "epochs": 90},
        "0.714 G multiply-adds forward (torchvision model docs), 1.2M images, ~90 epochs (Krizhevsky et al. 2012)",
        False,
    ),
    "VGG16": (
        {"forward_flop": 2 * 15.47e9, "examples": 1.28e6, "epochs": 74},
        "15.47 G multiply-adds forward (torchvision model docs), 1.28M images, 74 epochs (Simonyan & Zisserman 2015)",
        False,
    ),
}


def _epoch_rows() -> dict[str, dict[str, str]]:
    with path("epoch/ml_systems.csv").open(encoding="utf-8") as fh:
        return {r["Model"]: r for r in csv.DictReader(fh) if r["Model"] in MODELS}


def _burden(row: dict[str, str], llm: bool) -> float | None:
    hw, chips, hours = row["Training hardware"], row["Hardware quantity"], row["Training time (hours)"]
    if not (hw and chips and hours) or "," in hw:
        return None
    return estimate(
        hardware=hw, chips=float(chips), hours=float(hours), family="language" if llm else "other"
    ).training_flop


def hardware_method_rows() -> dict[str, list[float]]:
    """flopcast / Epoch over every single-chip-type row of Epoch's table estimated by the hardware method:
    utilization 0.4 for every row (flopcast's default before --family) vs the family convention
    (--family language for the Language domain, other otherwise)."""
    out: dict[str, list[float]] = {"flat 0.4": [], "family convention": []}
    with path("epoch/ml_systems.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            hw, q, h, c = (
                r["Training hardware"],
                r["Hardware quantity"],
                r["Training time (hours)"],
                r["Training compute (FLOP)"],
            )
            if not (hw and q and h and c) or "," in hw or "Hardware" not in r["Training compute estimation method"]:
                continue
            family = "language" if r["Domain"].startswith("Language") else "other"
            try:
                flat = estimate(hardware=hw, chips=float(q), hours=float(h), utilization=0.4).training_flop
                fam = estimate(hardware=hw, chips=float(q), hours=float(h), family=family).training_flop
            except InputError:
                continue  # hardware the catalogue cannot resolve, or a fractional chip count
            out["flat 0.4"].append(flat / float(c))
            out["family convention"].append(fam / float(c))
    return out


def run() -> list[dict]:
    rows = _epoch_rows()
    out = []
    for model, (inputs, source, llm) in MODELS.items():
        r = rows[model]
        published = float(r["Training compute (FLOP)"])
        if model == "AlexNet":  # Epoch's row leaves the quantity empty; the paper trained on two GTX 580s
            r = {**r, "Hardware quantity": "2"}
        counted = estimate(**inputs).training_flop
        burden = _burden(r, llm)
        out.append(
            {
                "model": model,
                "epoch_flop": published,
                "epoch_method": r["Training compute estimation method"],
                "counted_flop": counted,
                "counted_ratio": counted / published,
                "burden_flop": burden,
                "burden_ratio": None if burden is None else burden / published,
                "hardware": f"{r['Hardware quantity'] or '?'} x {r['Training hardware'] or '?'} x "
                f"{r['Training time (hours)'] or '?'} h",
                "source": source,
            }
        )
    return out


def _median_abs_log10(ratios: list[float]) -> float:
    return statistics.median(abs(math.log10(x)) for x in ratios)


def main() -> None:
    res = run()
    print("| model | Epoch FLOP (method) | counted FLOP | ratio | hardware burden FLOP | ratio | hardware (Epoch) |")
    print("|---|---|---|---|---|---|---|")
    for r in res:
        b = "-" if r["burden_flop"] is None else f"{r['burden_flop']:.3g}"
        br = "-" if r["burden_ratio"] is None else f"{r['burden_ratio']:.2f}"
        print(
            f"| {r['model']} | {r['epoch_flop']:.3g} ({r['epoch_method']}) | {r['counted_flop']:.3g} | "
            f"{r['counted_ratio']:.2f} | {b} | {br} | {r['hardware']} |"
        )
    counted = [r["counted_ratio"] for r in res]
    burden = [r["burden_ratio"] for r in res if r["burden_ratio"] is not None]
    burden_label = "hardware burden (--family convention: language 0.3, other 0.4)"
    for label, ratios in (("operation counting", counted), (burden_label, burden)):
        m = _median_abs_log10(ratios)
        print(
            f"\n{label}: n={len(ratios)}, median |log10(flopcast/Epoch)| = {m:.3f} "
            f"(a factor of {10**m:.3f}, i.e. {100 * (10**m - 1):.1f}%)"
        )
    for label, ratios in hardware_method_rows().items():
        print(
            f"\nEpoch hardware-method rows, {label}: n={len(ratios)}, median flopcast/Epoch = "
            f"{statistics.median(ratios):.3f}"
        )
    print("\nInputs for operation counting:")
    for r in res:
        print(f"- {r['model']}: {r['source']}")


if __name__ == "__main__":
    main()
