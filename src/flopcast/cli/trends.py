"""`flopcast trends` and `flopcast project`: performance vs computation on benchmark histories."""

from __future__ import annotations

import math
from pathlib import Path

import typer

DEFAULT_PLOTS = Path("flopcast-plots")

_SINCE_HELP = ("Fit and project only rows dated in or after this year (the all-data fit is shown beside); "
               "default: all rows, with the paper-era fit (rows up to 2019) beside.")
_UNTIL_HELP = "Fit and project only rows dated up to this year, e.g. --until 2019 for the paper's era."
_BENCH_HELP = "Bundled benchmark (repeatable): imagenet, coco, squad11, conll2003, wmt14_en_fr, wmt14_en_de."


def _fmt(v: float | None, digits: int = 2) -> str:
    """Compact scientific notation: 1.9e15 (None = unbounded)."""
    if v is None:
        return "unbounded"
    if v == float("inf"):
        return "unbounded"
    if v == 0:
        return "0"
    exp = int(f"{v:e}".split("e")[1])
    mant = v / 10 ** exp
    if round(mant, digits - 1) >= 10:
        mant, exp = mant / 10, exp + 1
    return f"{mant:.{digits - 1}f}e{exp}"


def _usd(v: float | None) -> str:
    if v is None:
        return "-"
    return f"${v:,.0f}" if v < 1e6 else "$" + _fmt(v)


def _nyc(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.2g}" if v < 1e3 else _fmt(v)


def _ci(pair, digits: int = 3) -> str:
    if pair is None:
        return ""
    if any(v != v for v in pair):  # NaN: e.g. no bootstrap below 6 rows
        return "[n<6]"
    low, high = pair
    if math.isinf(low) or math.isinf(high):  # the data bound one side only: an open interval, never "inf"
        left = "(-∞" if math.isinf(low) else f"[{low:.{digits}g}"
        right = "∞)" if math.isinf(high) else f"{high:.{digits}g}]"
        return f"{left}, {right}"
    return f"[{low:.{digits}g}, {high:.{digits}g}]"


def _fit_row(f, window) -> tuple:
    k = f"{f.exponent:.3g} {_ci(f.exponent_ci, 2)}" if f.exponent is not None else "-"
    return (f"{f.benchmark} {f.measure}" + (" frontier" if f.frontier else ""), window.label, f.form[:4], f.n,
            f"{f.slope:.3g} {_ci(f.slope_ci, 2)}", f"{f.r2:.2f}", k,
            f"{_ci(f.bootstrap_slope_ci, 2)} {_ci(f.loo_slope_range, 2)}")


def _fit_rows(report) -> list[tuple]:
    """Each window's fit with the reference window's fit of the same measure, form and rows below it."""
    rows = []
    for b in report.benchmarks:
        for f in b.fits:
            rows.append(_fit_row(f, b.window))
            ref = b.reference_fit(f)
            if ref is not None:
                rows.append(_fit_row(ref, b.reference))
    return rows


def _claim_line(claim: dict) -> str:
    def k(fits: dict) -> str:
        return "; ".join(f"{m} k = {d['exponent']:.3g} {_ci(d['exponent_ci'], 2)}, n = {d['n']}, R2 {d['r2']:.2f}"
                         for m, d in fits.items() if d is not None and d["exponent"] is not None) or "no fit"

    return (f"Paper-era rows: dated up to {claim['cutoff_until']} ({claim['cutoff_source']}). The paper's ImageNet "
            f"exponent was fitted on data of that era, so it corresponds to the paper-era fit: "
            f"{k(claim['paper_era'])}. On {claim['other_window_name']}: {k(claim['other_window'])} (rows after "
            f"{claim['cutoff_until']} are data the paper never saw).")


def _render_rows(out, report) -> None:
    """Which rows entered each fit, per benchmark and measure, and the reference window's counts."""
    out("[bold]Rows entering each fit[/bold] (one split per fit, one row per model; "
                 "unverified_rows.csv never enters)")
    for b in report.benchmarks:
        out(f"[bold]{b.benchmark}[/bold] ({b.name}; today's best error {b.best_error:.3g}%, "
                     f"{b.best_model})")
        for s in b.selections:
            d = s.to_dict()
            why = "; ".join(f"{n} {w}" for w, n in d["skipped_why"].items())
            flagged = ", ".join(f"{n} {f}" for f, n in d["flagged_used"].items() if n)
            srcs = ", ".join(f"{n} {k}" for k, n in d["training_sources"].items())
            line = f"  {s.measure}: {s.n_used} used" + (f" (split {s.split})" if s.split else "")
            if flagged:
                line += f", flagged but kept: {flagged}"
            if srcs:
                line += f"; training FLOP from: {srcs}"
            line += f"; {len(s.skipped)} skipped" + (f" ({why})" if why else "")
            if b.window.bounded:
                line += f"; {b.n_outside_window} outside {b.window.label}"
            out(line, highlight=False)
        if b.reference is not None:
            used = ", ".join(f"{s.measure} {s.n_used} used" for s in b.reference_selections)
            label = f" ({b.reference.label})" if b.reference.bounded else ""
            out(f"  beside it, {b.reference.name}{label}: {used}", highlight=False)


def _render(report, trend=None, plots: list[Path] | None = None, plot_dir: Path | None = None,
            affs=None) -> None:
    from flopcast.report.console import stdout, table

    width = stdout.width if stdout.is_terminal else max(stdout.width, 160)  # piped: don't squeeze to 80

    def out(obj, **kw) -> None:
        saved = stdout.width
        stdout.width = width  # rich clamps print(width=) to the console width, so widen the console itself
        try:
            stdout.print(obj, **kw)
        finally:
            stdout.width = saved

    _render_rows(out, report)
    out(table("Fits (OLS, 95% CI): poly: log10(err%) = a + b*log10(FLOP), FLOP ~ (1/err)^k, k = -1/b; "
                       "expo: err% = a + b*log10(FLOP); rows: the years fitted",
                       ["fit", "rows", "form", "n", "slope b [95% CI]", "R2", "k [95% CI]",
                        "b: bootstrap 95%, leave-one-out"], _fit_rows(report), right_align_from=3))
    claim = report.paper_claim()
    if claim is not None:
        out(_claim_line(claim), highlight=False)
    proj_rows = []
    for p in report.projections:
        pi = "unbounded" if p.flop_low is None else f"{_fmt(p.flop_low)}-{_fmt(p.flop_high)}"
        proj_rows.append((f"{p.benchmark} {p.measure}", p.form[:4], p.n, f"{p.r2:.2f}" if p.r2 is not None else "-",
                          "yes" if p.slope_significant else "NO", f"{p.target_error:g}%", _fmt(p.flop), pi,
                          "-" if p.decades_beyond_data is None else f"{p.decades_beyond_data:+.1f}",
                          _usd(p.usd), "-" if p.co2e_lbs is None else _fmt(p.co2e_lbs),
                          _nyc(p.nyc_months)))
    rows_used = report.projection_rows + " rows"
    bounded = {b.window.label for b in report.benchmarks if b.window.bounded}
    if bounded:
        rows_used += f" dated {', '.join(sorted(bounded))}"
    out(table(f"Projections ({rows_used}; conversion {report.conversion.name}): FLOP to reach the "
                       "target error with its 95% PREDICTION interval (unbounded: slope not significant); "
                       "beyond = decades past the largest fitted FLOP; sig = slope significant at 95% "
                       "(not significant: not priced unless --allow-insignificant)",
                       ["fit", "form", "n", "R2", "sig", "target", "FLOP", "95% PI", "beyond", "USD", "lbs CO2",
                        "NYC-mo"], proj_rows, right_align_from=2))
    if trend is not None:
        out(table("Compute over time (Figure 2): doubling times, OLS of log10 on year",
                           ["series", "years", "n", "doubling (months) [95% CI]", "R2"],
                           [(e.series, f"{e.start_year:.0f}-{e.end_year:.0f}", e.fit.n,
                             f"{e.doubling_months:.3g} {_ci(e.doubling_months_ci)}", f"{e.fit.r2:.2f}")
                            for e in trend.eras], right_align_from=2))
    for a in report.assumptions:
        out(f"[dim]{a.basis.value}: {a.name} = {a.value} {a.unit} ({a.source})[/dim]")
    if affs:
        _render_afford(out, affs)
    out("[dim]NYC-months: one month of New York City's CO2, 1.04e10 lbs (comparator of Thompson et al. "
                 "2020). Extrapolations far beyond the data are statements about the fitted line, not forecasts.[/dim]")
    if plots:
        out(f"Plots ({len(plots)} files) written to {plot_dir}/")


def _yr(v: float | None) -> str:
    return "never" if v is None else f"{v:.0f}"


def _factor(v: float | None) -> str:
    return "unbounded" if v is None else (f"{v:.3g}x" if v < 1e4 else _fmt(v) + "x")


def _amount(quantity: str, v: float | None) -> str:
    if v is None:
        return "unbounded"
    return _usd(v) if quantity == "usd" else (f"{v:,.3g} t" if v < 1e6 else _fmt(v) + " t")


def _render_afford(out, affs) -> None:
    """Efficiency needed, the year affordable and the levers, per form and budget."""
    from flopcast.report.console import table

    rows = []
    for a in affs:
        for g in a.gaps:
            lo, hi = g.efficiency_interval
            ylo, yhi = g.year_interval
            by = "" if g.p_by_year is None else f"{g.p_by_year:.0%}"
            rows.append((f"{a.benchmark} {a.target_error:g}% {a.form[:4]}", f"{a.n}", f"{a.r2:.2f}",
                         "yes" if a.slope_significant else "NO", "levers" if g.levers else "none",
                         _amount(g.quantity, g.budget), _amount(g.quantity, g.cost), _factor(g.efficiency_needed),
                         f"[{_factor(lo)}, {_factor(hi)}]", _yr(g.year), f"[{_yr(ylo)}, {_yr(yhi)}]", by))
    year = next((a.by_year for a in affs if a.by_year is not None), None)
    base = affs[0].base_year
    out(table(f"What makes the target affordable (training compute; costs at {base} prices, {affs[0].draws:,} "
              "Monte Carlo draws: fit prediction interval x each rate's CI; 95% intervals)",
              ["target", "n", "R2", "sig", "levers", "budget", f"cost {base}", "efficiency needed", "95%",
               "affordable", "95%", f"P(by {year})" if year else "P(by year)"], rows, right_align_from=1))
    levers = affs[0].levers
    if levers:
        gap = next((g for g in affs[0].gaps if not g.levers), None)
        need = math.log10(gap.efficiency_needed) if gap and gap.efficiency_needed else None
        lrows = [(lv.label, lv.acts_on, f"{lv.usd_multiplier:.3g}", f"{lv.decades_closed('usd'):.2f}",
                  "-" if not need or need <= 0 else f"{lv.decades_closed('usd') / need:.0%}",
                  f"{lv.co2_multiplier:.3g}") for lv in levers]
        out(table(f"Levers (combined by multiplying; share of the {affs[0].form} USD gap of "
                  f"{'-' if need is None else f'{need:.2f}'} decades at {base})",
                  ["lever", "acts on", "x cost", "decades closed", "share of gap", "x CO2"], lrows,
                  right_align_from=2))
        for lv in levers:
            out(f"[dim]{lv.label}: {lv.source}[/dim]", highlight=False)
    for a in affs[0].assumptions:
        out(f"[dim]{a.basis.value}: {a.name} = {a.value:.3g} {a.unit} ({a.source})[/dim]", highlight=False)
    out("[dim]Price-performance and algorithmic progress lower the $ cost; CO2 falls with algorithmic progress "
        "only (no energy-efficiency trend is applied). Years are when the trends, if they continue, bring the "
        "cost under the budget.[/dim]", highlight=False)


def _destinations(*, benchmarks, data, plots, no_plots, with_trend: bool, report_file):
    """(plot folder or None, report file or None), checked before the work: a bad destination must not cost it."""
    from flopcast.errors import InputError
    from flopcast.report.paths import check_output_dir, check_output_file

    if data is not None and benchmarks:
        raise InputError("give either --data FILE.csv or a bundled benchmark, not both")
    if plots is not None and no_plots and with_trend:
        raise InputError("--plots and --no-plots contradict each other; give one")
    plot_dir = None if no_plots else (plots if plots is not None else (DEFAULT_PLOTS if with_trend else None))
    if plot_dir is not None:
        plot_dir = check_output_dir(plot_dir, option="--plots")
    if report_file is not None:
        report_file = check_output_file(report_file, option="--report", suffixes=(".html", ".md"))
    return plot_dir, report_file


def _plots(report, plot_dir, trend, affs) -> tuple[list[Path], str | None]:
    """The plots written, and a one-line error if writing failed midway (the tables are still printed)."""
    from flopcast.report.trends_plots import plot_affordability, write_plots

    if plot_dir is None:
        return [], None
    try:
        written = write_plots(report, plot_dir, trend=trend)
        if affs:
            written += plot_affordability(affs, plot_dir)
    except OSError as exc:  # e.g. the disk filled or the folder vanished mid-run: keep the tables
        return [], (f"plots not written to {str(plot_dir)!r} ({exc.strerror or exc}); the results above are "
                    "complete; give --plots a writable folder or --no-plots")
    return written, None


def _json(report, trend, affs, written, plot_error) -> str:
    from flopcast.report.jsonout import dumps

    out = report.to_dict()
    if trend is not None:
        out["compute_trend"] = trend.to_dict()
    if affs is not None:
        out["affordability"] = [a.to_dict() for a in affs]
    out["plots"] = [str(p) for p in written]
    if plot_error:
        out["plot_error"] = plot_error
    return dumps(out)


def _run(*, benchmarks, measure, frontier, data, targets, conversion, hardware, region, utilization,
         exclude_flagged, plots, no_plots, json_out, with_trend: bool, burden_precision=None,
         params_per_pass=False, since=None, until=None, allow_insignificant=False, afford_opts=None,
         report_file=None) -> None:
    from flopcast.errors import InputError
    from flopcast.trends import afford, analyze, compute_trend, get_benchmark

    plot_dir, report_file = _destinations(benchmarks=benchmarks, data=data, plots=plots, no_plots=no_plots,
                                          with_trend=with_trend, report_file=report_file)
    report = analyze(benchmarks or None, measures=[measure] if measure else None, targets=targets or None,
                     data=data, conversion=conversion, hardware=hardware, region=region, utilization=utilization,
                     frontier=frontier, exclude_flagged=exclude_flagged, burden_precision=burden_precision,
                     params_per_pass=params_per_pass, since=since, until=until,
                     allow_insignificant=allow_insignificant)
    affs = None
    if afford_opts is not None:
        vision = get_benchmark(benchmarks[0]).vision if benchmarks else None
        affs = afford(report, hardware=hardware, vision=vision, allow_insignificant=allow_insignificant,
                      **afford_opts)
    trend = compute_trend() if with_trend and data is None else None
    written, plot_error = _plots(report, plot_dir, trend, affs)
    if report_file is not None:
        from flopcast.report.trends_page import trends_data, write_trends_page
        from flopcast.report.trends_plots import write_plots

        write_trends_page(report_file, trends_data(report, trend, affs, written), written,
                          draw=lambda folder: write_plots(report, folder, trend=trend))
        typer.echo(f"wrote {report_file} (trends report)", err=True)
    if json_out:
        typer.echo(_json(report, trend, affs, written, plot_error))
    else:
        _render(report, trend, written, plot_dir, affs)
    if plot_error:
        raise InputError(plot_error)


def _check_paper_alone(**given) -> None:
    """--paper reconciles the default analysis: an option that would change (or be ignored by) it is refused."""
    from flopcast.errors import InputError

    name = next((k for k, v in given.items() if v is not None), None)
    if name is not None:
        flag = "--" + name.replace("_", "-")
        raise InputError(f"--paper reconciles the default analysis (all bundled benchmarks, paper-era beside); "
                         f"drop {flag} or drop --paper")


def _run_paper(json_out: bool) -> None:
    from flopcast.trends import reconcile

    rec = reconcile()
    if json_out:
        from flopcast.report.jsonout import dumps

        typer.echo(dumps(rec.to_dict()))
        return
    from flopcast.report.console import stdout, table

    rows = [(c.claim, c.paper, c.flopcast, c.status, c.reason) for c in rec.claims]
    saved = stdout.width
    stdout.width = saved if stdout.is_terminal else max(saved, 200)  # piped: don't squeeze the table to 80
    try:
        stdout.print(table("Thompson et al. 2020 (arXiv:2007.05558; IEEE Spectrum 2021) beside flopcast",
                           ["claim", "paper", "flopcast", "verdict", "why"], rows, right_align_from=5))
        for c in rec.claims:
            how = "quoted from" if c.quoted else "claim"
            stdout.print(f"[dim]{c.key}: {how} {c.source}[/dim]", highlight=False)
    finally:
        stdout.width = saved


def _afford_options(*, budget_usd, budget_co2_t, year, lever, pp_doubling, alg_doubling, spending_growth,
                    spending_growth_per_year) -> dict | None:
    """The affordability options as keyword arguments, or None; options without a budget are refused."""
    from flopcast.errors import InputError

    if budget_usd is None and budget_co2_t is None:
        given = [n for n, v in (("--year", year), ("--lever", lever or None), ("--price-performance-doubling-years",
                 pp_doubling), ("--algorithmic-doubling-years", alg_doubling), ("--spending-growth",
                 spending_growth or None), ("--spending-growth-per-year", spending_growth_per_year))
                 if v is not None]
        if given:
            raise InputError(f"{given[0]} only applies with a budget; add --budget-usd or --budget-co2-t")
        return None
    if spending_growth and spending_growth_per_year is not None:
        raise InputError("--spending-growth and --spending-growth-per-year contradict each other; give one")
    return {"budget_usd": budget_usd, "budget_co2_t": budget_co2_t, "year": year, "lever_texts": lever or (),
            "price_performance_doubling_years": pp_doubling, "algorithmic_doubling_years": alg_doubling,
            "spending_growth": spending_growth, "spending_growth_per_year": spending_growth_per_year}


def register(app: typer.Typer) -> None:
    @app.command("trends")
    def trends(
        benchmark: list[str] = typer.Option(None, "--benchmark", "-b", help=_BENCH_HELP),
        measure: str = typer.Option(None, "--measure", "-m", help="per-pass or training (default: both)."),
        frontier: bool = typer.Option(False, "--frontier", help="Project from frontier fits (best result to date) "
                                      "instead of all rows. Both fits are always reported."),
        data: Path = typer.Option(None, "--data", help="Your own CSV (columns: model, score, and gflops_forward "
                                  "and/or train_compute_flop or train_hardware+train_chips+train_hours; "
                                  "optional date, split, flops_unit_note, notes)."),
        target: list[float] = typer.Option(None, "--target", "-t", help="Target error in percent (repeatable); "
                                           "default: per-benchmark targets."),
        conversion: str = typer.Option("thompson2020", "--conversion",
                                       help="FLOP -> $ and CO2: thompson2020 (paper's factors) or hardware."),
        hardware: str = typer.Option(None, "--hardware", help="Accelerator for --conversion hardware "
                                     "(default H100 SXM5 80GB)."),
        region: str = typer.Option(None, "--region", help="Grid region for --conversion hardware "
                                   "(default: the world-average grid)."),
        utilization: float = typer.Option(None, "--utilization", help="Utilization for --conversion hardware."),
        exclude_flagged: bool = typer.Option(False, "--exclude-flagged",
                                             help="Drop ensembles and extra-training-data rows from fits."),
        burden_precision: str = typer.Option(None, "--burden-precision",
                                             help="Chip peak for hardware-burden rows, e.g. fp32 (default: the "
                                             "chip's training precision, fp16/bf16 tensor where it has one)."),
        params_per_pass: bool = typer.Option(False, "--params-per-pass",
                                             help="Estimate NLP per-pass FLOP as 2 x params per token (dense "
                                             "models; the NLP tables publish no forward FLOPs)."),
        plots: Path = typer.Option(None, "--plots", help="Folder for PNG+SVG plots (default ./flopcast-plots)."),
        no_plots: bool = typer.Option(False, "--no-plots", help="Write no plots."),
        since: int = typer.Option(None, "--since", help=_SINCE_HELP),
        until: int = typer.Option(None, "--until", help=_UNTIL_HELP),
        allow_insignificant: bool = typer.Option(False, "--allow-insignificant", help="Price projections whose "
                                                 "slope is not significant at 95%."),
        paper: bool = typer.Option(False, "--paper", help="Every known claim of the paper beside flopcast's "
                                   "number, with a verdict (reproduced / explained difference / not reproducible)."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON (fits, projections, compute_trend)."),
        report: Path = typer.Option(None, "--report", help="Also write the analysis as one page with its plots: "
                                    "FILE.html (plots as inline SVG) or FILE.md (links the --plots files)."),
    ) -> None:
        """Fit how benchmark error falls with computation (Thompson et al. 2020) and project targets.

        Example: flopcast trends --benchmark imagenet --measure per-pass
        """
        if paper:
            _check_paper_alone(benchmark=benchmark or None, measure=measure, frontier=frontier or None, data=data,
                               target=target or None, conversion=None if conversion == "thompson2020" else conversion,
                               hardware=hardware, region=region, utilization=utilization,
                               exclude_flagged=exclude_flagged or None, burden_precision=burden_precision,
                               params_per_pass=params_per_pass or None, plots=plots, since=since, until=until,
                               allow_insignificant=allow_insignificant or None, report=report)
            _run_paper(json_out)
            return
        _run(benchmarks=benchmark, measure=measure, frontier=frontier, data=data, targets=target,
             conversion=conversion, hardware=hardware, region=region, utilization=utilization,
             exclude_flagged=exclude_flagged, plots=plots, no_plots=no_plots, json_out=json_out, with_trend=True,
             burden_precision=burden_precision, params_per_pass=params_per_pass, since=since, until=until,
             allow_insignificant=allow_insignificant, report_file=report)

    @app.command("project")
    def project_cmd(
        benchmark: str = typer.Argument(None, help="Bundled benchmark (omit with --data)."),
        target: list[float] = typer.Option(..., "--target", "-t", help="Target error in percent (repeatable), "
                                           "e.g. 5 for 5% top-1 error; BLEU/F1 targets are 100 - score."),
        measure: str = typer.Option(None, "--measure", "-m", help="per-pass or training (default: both)."),
        frontier: bool = typer.Option(False, "--frontier", help="Project from the frontier fit."),
        data: Path = typer.Option(None, "--data", help="Your own CSV instead of a bundled benchmark."),
        conversion: str = typer.Option("thompson2020", "--conversion", help="thompson2020 or hardware."),
        hardware: str = typer.Option(None, "--hardware", help="Accelerator for --conversion hardware."),
        region: str = typer.Option(None, "--region", help="Grid region for --conversion hardware."),
        utilization: float = typer.Option(None, "--utilization", help="Utilization for --conversion hardware."),
        exclude_flagged: bool = typer.Option(False, "--exclude-flagged", help="Drop ensembles/extra-data rows."),
        burden_precision: str = typer.Option(None, "--burden-precision", help="Chip peak for hardware-burden "
                                             "rows, e.g. fp32."),
        params_per_pass: bool = typer.Option(False, "--params-per-pass",
                                             help="Estimate NLP per-pass FLOP as 2 x params per token."),
        plots: Path = typer.Option(None, "--plots", help="Folder for PNG+SVG plots (none by default)."),
        since: int = typer.Option(None, "--since", help=_SINCE_HELP),
        until: int = typer.Option(None, "--until", help=_UNTIL_HELP),
        budget_usd: float = typer.Option(None, "--budget-usd", help="Budget in USD: efficiency needed and the "
                                         "year the trends make the target affordable."),
        budget_co2_t: float = typer.Option(None, "--budget-co2-t", help="CO2 budget in tonnes (falls with "
                                           "algorithmic progress only)."),
        year: int = typer.Option(None, "--year", help="Also report the cost in this year and the chance it fits "
                                 "the budget by then."),
        lever: list[str] = typer.Option(None, "--lever", help="precision=fp8, sparsity=2:4, distill=0.25, "
                                        "hardware=B200 (repeatable; combined)."),
        pp_doubling: float = typer.Option(None, "--price-performance-doubling-years", help="Override the "
                                          "fitted FLOP/s-per-$ doubling time (Epoch AI hardware prices)."),
        alg_doubling: float = typer.Option(None, "--algorithmic-doubling-years", help="Override the cited "
                                           "algorithmic-progress halving time of compute (vision: Erdil & "
                                           "Besiroglu 2022, 0.75; language: Ho et al. 2024, 0.67)."),
        spending_growth: bool = typer.Option(False, "--spending-growth", help="Grow the budget at Cottier et al. "
                                             "2024's 2.4x per year [2.0, 2.9]."),
        spending_growth_per_year: float = typer.Option(None, "--spending-growth-per-year",
                                                       help="Grow the budget by this factor per year instead."),
        allow_insignificant: bool = typer.Option(False, "--allow-insignificant", help="Price projections whose "
                                                 "slope is not significant at 95%."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Computation, dollars and CO2 to reach a target error on one benchmark.

        Example: flopcast project imagenet --target 5 --conversion hardware --hardware "H100 SXM" --region USA
        """
        if benchmark is None and data is None:
            from flopcast.errors import InputError
            from flopcast.trends import BENCHMARKS

            raise InputError("name a benchmark (" + ", ".join(BENCHMARKS) + ") or pass --data FILE.csv")
        afford_opts = _afford_options(budget_usd=budget_usd, budget_co2_t=budget_co2_t, year=year, lever=lever,
                                      pp_doubling=pp_doubling, alg_doubling=alg_doubling,
                                      spending_growth=spending_growth,
                                      spending_growth_per_year=spending_growth_per_year)
        _run(benchmarks=[benchmark] if benchmark else None, measure=measure, frontier=frontier,
             data=data, targets=target, conversion=conversion, hardware=hardware, region=region,
             utilization=utilization, exclude_flagged=exclude_flagged, plots=plots, no_plots=plots is None,
             json_out=json_out, with_trend=False, burden_precision=burden_precision,
             params_per_pass=params_per_pass, since=since, until=until,
             allow_insignificant=allow_insignificant, afford_opts=afford_opts)
