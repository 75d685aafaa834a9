"""Every known claim of Thompson et al. (2020) beside flopcast's number, with a computed verdict.

``flopcast trends --paper`` prints :func:`reconcile`'s table. Each row says what the paper (arXiv:2007.05558)
or its IEEE Spectrum summary ("Deep Learning's Diminishing Returns", 2021) claims, where the claim's text was
read, flopcast's number computed from the bundled data (never typed), and one verdict of :data:`STATUSES`
decided by a stated rule on those numbers.

Where the claim's text was read (:data:`PASSAGES`, issue 13): each quoted row cites the passage read with the
search tool (its address, the paper's version where the page shows it, and a short quote), and says how close
to the paper it is: the paper's own text, the paper's text as quoted in public reading notes, or secondary
coverage. The search corpus holds only the openings of the paper's copies (v1: docslib.org, fdocuments.in,
deepai.org; v2: arxiv-vanity.com, ar5iv.org) and of the Spectrum article, so claims whose passage lies deeper
were not found: they are listed in :data:`UNVERIFIED` with the reason, keep issue 13's wording, and say so.
The verdict never depends on a typed flopcast figure; it does depend on the claimed figure.

Cost: one :func:`flopcast.trends.analyze` of every bundled benchmark, one of ImageNet's paper-era window,
and two O(n) fits on Epoch AI's systems table; a few seconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from flopcast.trends.fit import Fit, fit_xy, polynomial_fit
from flopcast.trends.project import BenchmarkResult
from flopcast.trends.time import load_systems
from flopcast.trends.window import PAPER_ERA_UNTIL

REPRODUCED = "reproduced"
DIFFERENCE = "reproduced with an explained difference"
NOT_PUBLIC = "not reproducible from public data"
STATUSES = (REPRODUCED, DIFFERENCE, NOT_PUBLIC)
PAPER = "Thompson et al. 2020, arXiv:2007.05558"
SPECTRUM = "Thompson, Greenewald, Lee & Manso, Deep Learning's Diminishing Returns, IEEE Spectrum 2021"

# How close to the paper the passage read is (a claim's ``provenance``).
PAPER_TEXT = "the paper's text"
PAPER_NOTES = "the paper's text as reproduced in public reading notes"
SECONDARY = "secondary coverage"
ISSUE_ONLY = "unverified"
PROVENANCES = (PAPER_TEXT, PAPER_NOTES, SECONDARY, ISSUE_ONLY)
ISSUE = "as stated in issue 13"

_V1_INTRO = (
    "arXiv:2007.05558v1, sec. 1 Introduction, at deepai.org/publication/the-computational-limits-of-deep-learning "
    "(the v1 text: its abstract reads 'five prominent application areas'; VentureBeat, 2020-07-15, quotes the same "
    "sentence)"
)
_NOTES = (
    "S. Mukherjee's notes on arXiv:2007.05558, subhadityamukherjee.me/paper/2020/06/19/ComputationalLimits.html "
    "(no version named; its five benchmarks are v1's)"
)
_REDDIT = (
    "'Highlights from the paper', u/cosmictypist, r/MachineLearning thread htacsz on arXiv:2007.05558 (2020-07-18), "
    "read at the mirror tgray.online/r/MachineLearning/comments/htacsz/"
    "the_computational_limits_of_deep_learning/g57srx5/"
)
_DATAZUITE = (
    "datazuite.com/blog/is-it-possible-to-solve-the-computational-burden-of-deep-learning.html (2022-01-13), "
    "reporting the authors' IEEE Spectrum 2021 article and Computer Progress site"
)
_NOT_PAPER = "; the paper's own passage was not in the pages read"
_NINTH = (
    "the researchers found that ImageNet image classification algorithms scale as a ninth-order polynomial, "
    "requiring 500 times the computation to reduce the error rate by half"
)

#: Each found claim's passage: (provenance, where it was read, a short quote as read).
PASSAGES: dict[str, tuple[str, str, str]] = {
    "imagenet_exponent": (SECONDARY, _DATAZUITE + _NOT_PAPER, _NINTH),
    "halve_error": (SECONDARY, _DATAZUITE + _NOT_PAPER, _NINTH),
    "r2_range": (
        PAPER_NOTES,
        _NOTES,
        "We find highlystatistically significant slopes and strong explanatory power (R2 between 29% and 68%) for "
        "all benchmarks except machine translation, English to German, where we have very little variation in the "
        "computing power used.",
    ),
    "imagenet_r2": (
        PAPER_NOTES,
        _REDDIT,
        "it also has substantial explanatory power, explaining 43% of the variance in ImageNet performance",
    ),
    "five_percent": (
        PAPER_NOTES,
        f"{_NOTES}; the same line in {_REDDIT}, where the superscript of 10^5 is lost ('105 time')",
        "moreoptimistic model, it is estimated to take an additional 10^5× more computing to get to an error "
        "rate of 5% for ImageNet.",
    ),
    "lower_bound": (
        PAPER_TEXT,
        f"{_V1_INTRO}; the exponent 4 from {_DATAZUITE}",
        "we find that the actual computational burden of deep learning models is scaling more rapidly than (known) "
        "lower bounds from theory, suggesting that substantial improvements might be possible [v1] / The lower "
        "bound on computational burden is theoretically a fourth-order polynomial in performance. [datazuite.com]",
    ),
}

#: Claims whose passage was not found, each with why: they keep issue 13's wording and are marked unverified.
#: Searched (pages corpus): the figures themselves, "dollars", "CO2", "New York City", "per year", "7.7", "50".
#: Searched again 2026-12-04 (pages and docs corpora): the Spectrum article's NYC-month sentence, the paper's
#: per-area exponents and Figure 4 costs, "tenfold per year 2012-2019": every copy found (spectrum.ieee.org and
#: mirrors, ar5iv.org/html/2007.05558, arxiv-vanity, docslib, fdocuments, deepai, gradientflow.com's Figure 4 post)
#: came back as its opening only.
UNVERIFIED: dict[str, str] = {
    "other_exponents": "no page read gives the other areas' exponents: the paper's copies in the corpus hold only "
    "their abstract and sec. 1, and the notes and coverage read name no such range",
    "conversions": "no page read gives the paper's FLOP-to-dollar or FLOP-to-CO2 factor (the ones in "
    "flopcast.estimate); the passage lies past the openings the corpus holds",
    "nyc_month": "the comparator is the Spectrum article's; only its opening (spectrum.ieee.org/"
    "deep-learning-computational-cost and copies) was in the corpus, without the passage",
    "compute_growth": "no page read states ~10x/yr for 2012-2019; one blog retelling (blog.gpdhost.com, 2020-08-12) "
    "says computing power rose 'by an average of nine orders of magnitude' from 2012 to 2019, but it credits the "
    "study to the wrong university, so it is not used",
}


def _claim(key: str, claim: str, paper: str, flopcast: str, status: str, reason: str, values: dict) -> Claim:
    """A :class:`Claim` whose source, ``quoted`` and provenance come from :data:`PASSAGES` / :data:`UNVERIFIED`."""
    provenance, source, quoted = _source(key)
    return Claim(key, claim, source, quoted, paper, flopcast, status, reason, values, provenance)


def _source(key: str) -> tuple[str, str, bool]:
    """(provenance, source text, quoted) of claim ``key``: its passage, or issue 13 with the reason it is unverified."""
    if key in PASSAGES:
        kind, where, quote = PASSAGES[key]
        return kind, f"{kind}, {where}: '{quote}'", True
    return ISSUE_ONLY, f"{ISSUE} (not verified: {UNVERIFIED[key]})", False


GROWTH_YEARS = (2012.0, 2020.0)  # 2012-2019 inclusive: the paper's deep-learning era


@dataclass(frozen=True)
class Claim:
    """One claim of the paper beside flopcast's number and the verdict."""

    key: str
    claim: str
    source: str
    quoted: bool
    paper: str
    flopcast: str
    status: str
    reason: str
    values: dict = field(default_factory=dict)
    provenance: str = ISSUE_ONLY  # one of PROVENANCES: how close to the paper the passage read is

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "claim": self.claim,
            "source": self.source,
            "quoted": self.quoted,
            "provenance": self.provenance,
            "paper": self.paper,
            "flopcast": self.flopcast,
            "status": self.status,
            "reason": self.reason,
            "values": self.values,
        }


@dataclass(frozen=True)
class Reconciliation:
    claims: tuple[Claim, ...]

    def to_dict(self) -> dict:
        return {
            "schema": "flopcast.paper_reconciliation/1",
            "paper": PAPER,
            "spectrum": SPECTRUM,
            "statuses": list(STATUSES),
            "claims": [c.to_dict() for c in self.claims],
        }


def _bench(report, key: str):
    return next((b for b in report.benchmarks if b.benchmark == key), None)


def _imagenet(report, measure: str = "per-pass", *, era: bool) -> tuple[Fit, float, tuple[float, float]]:
    """ImageNet's polynomial fit (paper-era or all data), its exponent and the exponent's CI."""
    b = _bench(report, "imagenet")
    f = polynomial_fit(b.reference_fits if era else b.fits, measure) if b is not None else None
    if f is None or f.exponent is None or f.exponent_ci is None:
        raise LookupError(f"no ImageNet {measure} polynomial fit ({'paper-era' if era else 'all data'})")
    return f, f.exponent, f.exponent_ci


def _share_status(inside: int, total: int) -> str:
    """All inside the claimed range: reproduced; at least half: a difference; fewer: not from public data."""
    if inside == total:
        return REPRODUCED
    return DIFFERENCE if 2 * inside >= total else NOT_PUBLIC


def _k(f: Fit | None) -> str:
    if f is None or f.exponent is None:
        return "no fit"
    lo, hi = f.exponent_ci or (math.nan, math.nan)
    return f"{f.exponent:.3g} [{lo:.3g}, {'inf' if math.isinf(hi) else f'{hi:.3g}'}] (n {f.n})"


def ninth_power(report) -> Claim:
    era, k_era, (lo, hi) = _imagenet(report, era=True)
    full, k_all, _ = _imagenet(report, era=False)
    status = REPRODUCED if abs(k_era - 9) <= 1 else (DIFFERENCE if lo <= 9 <= hi else NOT_PUBLIC)
    how = {
        REPRODUCED: "its point is within 1 of 9",
        DIFFERENCE: "its interval contains 9 but its point does not",
        NOT_PUBLIC: "its interval excludes 9",
    }[status]
    return _claim(
        "imagenet_exponent",
        "ImageNet: computation scales as a ninth-order polynomial in performance (Spectrum 2021, as reported)",
        "k ≈ 9",
        f"paper-era {_k(era)}; all data {_k(full)}",
        status,
        "the 9 read is the Spectrum article's, in secondary coverage (the paper's own ImageNet passage was not "
        f"read); the paper-era fit (rows <= 2019, the data era of the paper's v1) is compared: {how}; all data "
        "give ~9 only with 2020-22 model-zoo rows the paper never saw. The paper's 1,058-paper dataset "
        "is not public",
        {
            "paper_era_k": k_era,
            "paper_era_k_ci": [lo, hi],
            "paper_era_n": era.n,
            "all_data_k": k_all,
            "all_data_n": full.n,
        },
    )


def halve_error(report) -> Claim:
    _, k_era, _ = _imagenet(report, era=True)
    _, k_all, _ = _imagenet(report, era=False)
    implied = 2.0**9
    ratio_era, ratio_all = 2.0**k_era, 2.0**k_all
    near = abs(math.log10(ratio_all / 500)) < 0.3
    status = DIFFERENCE if near else NOT_PUBLIC
    return _claim(
        "halve_error",
        "500x the computation to halve the ImageNet error rate (Spectrum 2021, as reported)",
        f"500x (= 2^k: k = 9 gives {implied:.0f}x)",
        f"2^k: paper-era {ratio_era:,.0f}x, all data {ratio_all:,.0f}x",
        status,
        "halving the error multiplies computation by 2^k, so this row follows the exponent row: all data "
        f"{'lie within' if near else 'lie outside'} 0.3 decades of 500x, the paper-era point "
        f"{'is far higher' if ratio_era > 500 else 'is lower'} (its k is {k_era:.3g})",
        {"paper_implied": implied, "paper_era": ratio_era, "all_data": ratio_all},
    )


def _era_fits(b: BenchmarkResult) -> tuple[Fit, ...]:
    """A benchmark's paper-era fits where the report has that window, else its fits; () where the era is too thin."""
    if b.reference_fits:
        return tuple(b.reference_fits)
    return () if b.reference_selections else tuple(b.fits)


def other_exponents(report, low: float = 7.7, high: float = 50.0) -> Claim:
    ks: dict[str, float] = {}
    undetermined: list[str] = []
    for b in report.benchmarks:
        if b.benchmark == "imagenet":
            continue
        for m in ("per-pass", "training"):
            f = polynomial_fit(_era_fits(b), m)
            if f is None or f.exponent is None:
                continue
            if f.slope_ci[1] < 0:  # only a significant slope pins an exponent down
                ks[f"{b.benchmark} {m}"] = f.exponent
            else:
                undetermined.append(f"{b.benchmark} {m} (n {f.n})")
    inside = {k: v for k, v in ks.items() if low <= v <= high}
    status = _share_status(len(inside), len(ks))
    shown = "; ".join(f"{k} {v:.3g}" for k, v in ks.items()) + f" ({len(inside)} of {len(ks)} inside)"
    return _claim(
        "other_exponents",
        "Exponents of 7.7 to 50 in the other areas",
        f"{low:g} to {high:g}",
        shown + (f"; slope not significant, not counted: {', '.join(undetermined)}" if undetermined else ""),
        status,
        "paper-era polynomial fits with a significant slope; the paper's per-area data are not public, and "
        "flopcast's NLP rows are thin (a handful per benchmark)",
        {"exponents": ks, "inside": sorted(inside), "undetermined": undetermined},
    )


def r2_range(report, low: float = 0.29, high: float = 0.68) -> Claim:
    r2 = {}
    for b in report.benchmarks:
        if b.benchmark == "wmt14_en_de":
            continue
        for m in ("per-pass", "training"):
            f = polynomial_fit(_era_fits(b), m)
            if f is not None:
                r2[f"{b.benchmark} {m}"] = f.r2
    inside = [k for k, v in r2.items() if low <= v <= high]
    return _claim(
        "r2_range",
        "R2 between 29% and 68% for all benchmarks except machine translation, English to German",
        f"{low:.0%} to {high:.0%}",
        "; ".join(f"{k} {v:.2f}" for k, v in r2.items()) + f" ({len(inside)} of {len(r2)} inside)",
        _share_status(len(inside), len(r2)),
        "paper-era polynomial fits; flopcast's NLP fits rest on a handful of rows with training compute, "
        "where R2 is near 1 or near 0, and COCO per-pass is one EfficientDet sweep",
        {"r2": r2, "inside": inside},
    )


def imagenet_r2(report) -> Claim:
    era, _, _ = _imagenet(report, era=True)
    status = DIFFERENCE if abs(era.r2 - 0.43) < 0.15 else NOT_PUBLIC
    return _claim(
        "imagenet_r2",
        "Computation explains 43% of the variance in ImageNet performance",
        "43%",
        f"paper-era per-pass {era.r2:.0%} (n {era.n})",
        status,
        "same era, flopcast's rows (the Papers with Code 2019 leaderboard) instead of the paper's",
        {"paper_era_r2": era.r2, "n": era.n},
    )


def five_percent(report_era) -> Claim:
    ps = [
        p
        for p in report_era.projections
        if p.benchmark == "imagenet"
        and p.measure == "training"
        and p.target_error == 5.0
        and p.decades_beyond_data is not None
    ]
    best = min(ps, key=lambda p: p.flop or math.inf)
    ratio = 10**best.decades_beyond_data
    status = DIFFERENCE if abs(best.decades_beyond_data - 5) <= 1 else NOT_PUBLIC
    return _claim(
        "five_percent",
        "Even in the more-optimistic model, an additional 10^5x more computing to reach 5% ImageNet error",
        "1e5x",
        f"{ratio:.2g}x ({best.form}, the more optimistic form; paper-era training fit, past its largest run)",
        status,
        "the paper's base (its largest run) and data are not public; flopcast's paper-era training rows "
        "end at a different largest run and give a different slope",
        {"ratio": ratio, "form": best.form, "flop": best.flop, "decades": best.decades_beyond_data},
    )


def conversions(report) -> Claim:
    from flopcast.estimate import THOMPSON2020_FLOP_PER_LB_CO2, THOMPSON2020_FLOP_PER_USD
    from flopcast.trends.project import hardware_conversion

    conv = report.conversion
    today = hardware_conversion()
    cheaper = conv.usd_per_flop / today.usd_per_flop
    same = math.isclose(1.0 / conv.usd_per_flop, THOMPSON2020_FLOP_PER_USD, rel_tol=1e-12)
    return _claim(
        "conversions",
        "FLOP to dollars and CO2: the paper's chart conversion",
        f"{THOMPSON2020_FLOP_PER_USD:.4g} FLOP/$, {THOMPSON2020_FLOP_PER_LB_CO2:.4g} FLOP/lb CO2",
        f"same factors (flopcast.estimate); today's H100 SXM5 on-demand conversion is {cheaper:.3g}x cheaper per FLOP",
        REPRODUCED if same else DIFFERENCE,
        "flopcast uses these factors by default (flopcast.estimate attributes them to the paper's ImageNet chart; "
        "that passage was not found, see the source); --conversion hardware prices FLOP on today's chips",
        {"flop_per_usd": 1.0 / conv.usd_per_flop, "today_usd_per_flop": today.usd_per_flop, "today_cheaper_x": cheaper},
    )


def nyc_month(report) -> Claim:
    p = next(
        p
        for p in report.projections
        if (p.benchmark, p.measure, p.form, p.target_error) == ("imagenet", "training", "polynomial", 5.0)
    )
    return _claim(
        "nyc_month",
        "Reaching 5% ImageNet error would emit about as much CO2 as New York City in a month (Spectrum)",
        "~1 NYC-month",
        f"{p.nyc_months:.2g} NYC-months (polynomial, all data, training)",
        NOT_PUBLIC if abs(math.log10(p.nyc_months)) > 0.5 else DIFFERENCE,
        "the comparator (1.04e10 lbs) and the CO2 factor are those flopcast attributes to the paper (not found in "
        "the pages read); the FLOP for 5% rests on the paper's fit, whose data are not public, and flopcast's fit "
        f"needs {'fewer' if p.nyc_months < 1 else 'more'} FLOP",
        {"nyc_months": p.nyc_months, "flop": p.flop},
    )


def _growth(pts: list[tuple[float, float]]) -> tuple[float, Fit]:
    x = np.array([p[0] for p in pts])
    f = fit_xy(x, np.log10([p[1] for p in pts]), benchmark="training compute", measure="time", form="log-linear")
    return 10**f.slope, f


def record_setters(systems: Sequence[tuple[float, float, str]]) -> list[tuple[float, float]]:
    """Systems whose training compute exceeded every earlier system's (by date): O(n) after the sort."""
    out, best = [], 0.0
    for year, flop, _ in sorted(systems):
        if flop > best:
            out.append((year, flop))
            best = flop
    return out


def compute_growth() -> Claim:
    lo, hi = GROWTH_YEARS
    systems = load_systems()
    all_x, all_fit = _growth([(y, f) for y, f, _ in systems if lo <= y < hi])
    rec_x, rec_fit = _growth([(y, f) for y, f in record_setters(systems) if lo <= y < hi])
    between = min(all_x, rec_x) <= 10 <= max(all_x, rec_x)
    return _claim(
        "compute_growth",
        "Computation used grew about 10x per year, 2012-2019",
        "~10x/yr",
        f"all Epoch systems {all_x:.3g}x/yr (n {all_fit.n}); record-setters {rec_x:.3g}x/yr (n {rec_fit.n})",
        DIFFERENCE if between else NOT_PUBLIC,
        f"~10x/yr lies {'between' if between else 'outside'} all systems (most are not at the frontier) and the "
        "record-setters; the frontier series is the one a claim about the computation used for the best results "
        "matches in kind",
        {
            "all_systems_x_per_year": all_x,
            "all_systems_n": all_fit.n,
            "record_setters_x_per_year": rec_x,
            "record_setters_n": rec_fit.n,
            "years": [lo, hi - 1],
        },
    )


#: The theoretical lower bound: computation grows at least as a fourth-order polynomial in performance (the exponent
#: as read in secondary coverage of the Spectrum article, PASSAGES["lower_bound"]; the paper's v1 text read says only
#: that the burden scales faster than the bound). The one owner for the table here and the line on the plots.
THEORY_EXPONENT = 4.0


def lower_bound(report) -> Claim:
    gaps: dict[str, float] = {}
    below: list[str] = []
    unsure: list[str] = []
    for b in report.benchmarks:
        for m in ("per-pass", "training"):
            f = polynomial_fit(b.fits, m)
            if f is None or f.exponent is None:
                continue
            name = f"{b.benchmark} {m}"
            gaps[name] = f.exponent - THEORY_EXPONENT
            ci = f.exponent_ci
            if gaps[name] < 0:  # below the bound only where the exponent's 95% CI lies wholly below 4
                (below if ci is not None and ci[1] < THEORY_EXPONENT else unsure).append(f"{name} (n {f.n})")
    if below:
        status, reason = DIFFERENCE, f"below the bound (95% CI wholly under 4): {', '.join(below)}"
    else:
        reason = "every fitted exponent lies above the bound or its 95% CI reaches it"
        reason += f" ({', '.join(unsure)}: point below 4, CI includes 4)" if unsure else ""
        status, reason = REPRODUCED, reason + "; the gap k - 4 is the efficiency headroom the paper points to"
    return _claim(
        "lower_bound",
        "Theory: computation grows at least as a fourth-order polynomial in performance; the actual burden faster",
        "k >= 4",
        "k - 4: " + "; ".join(f"{k} {g:+.3g}" for k, g in gaps.items()),
        status,
        reason,
        {"k_minus_4": gaps, "below_with_ci": below, "below_point_only": unsure},
    )


def reconcile(report=None, report_era=None) -> Reconciliation:
    """Every known claim beside flopcast's number (``report``: all bundled benchmarks, paper-era beside)."""
    from flopcast.trends.project import analyze

    report = report or analyze()
    report_era = report_era or analyze(["imagenet"], measures=["training"], targets=[5.0], until=PAPER_ERA_UNTIL)
    claims = (
        ninth_power(report),
        halve_error(report),
        other_exponents(report),
        r2_range(report),
        imagenet_r2(report),
        five_percent(report_era),
        conversions(report),
        nyc_month(report),
        compute_growth(),
        lower_bound(report),
    )
    return Reconciliation(claims)


__all__ = [
    "DIFFERENCE",
    "NOT_PUBLIC",
    "REPRODUCED",
    "STATUSES",
    "Claim",
    "Reconciliation",
    "reconcile",
    "record_setters",
]
