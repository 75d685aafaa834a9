"""`flopcast trends` and `flopcast project`: performance vs computation on benchmark histories."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flopcast.cli.options import (
    CONVERSION,
    AllowInsignificant,
    BurdenPrecision,
    Conversion,
    Data,
    ExcludeFlagged,
    Frontier,
    Measure,
    ParamsPerPass,
    Since,
    TrendsHardware,
    TrendsRegion,
    TrendsUtilization,
    Until,
)

DEFAULT_PLOTS = Path("flopcast-plots")

_BENCH_HELP = (
    "Bundled benchmark (repeatable): imagenet, coco, squad11, conll2003, wmt14_en_fr, wmt14_en_de, librispeech."
)


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
        from flopcast.report.trends_page import PAGE_SUFFIXES

        report_file = check_output_file(report_file, option="--report", suffixes=PAGE_SUFFIXES)
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
        return [], (
            f"plots not written to {str(plot_dir)!r} ({exc.strerror or exc}); the results above are "
            "complete; give --plots a writable folder or --no-plots"
        )
    return written, None


def _json(report, trend, affs, written, plot_error) -> str:
    from flopcast.report.jsonout import dumps
    from flopcast.report.trends_page import trends_data

    out = trends_data(report, trend, affs, written)
    if plot_error:
        out["plot_error"] = plot_error
    return dumps(out)


def _run(
    *,
    benchmarks,
    measure,
    frontier,
    data,
    targets,
    conversion,
    hardware,
    region,
    utilization,
    exclude_flagged,
    plots,
    no_plots,
    json_out,
    with_trend: bool,
    burden_precision=None,
    params_per_pass=False,
    since=None,
    until=None,
    allow_insignificant=False,
    afford_opts=None,
    benchmark=None,
    report_file=None,
) -> None:
    from flopcast.errors import InputError
    from flopcast.trends import afford, analyze, compute_trend_for

    plot_dir, report_file = _destinations(
        benchmarks=benchmarks, data=data, plots=plots, no_plots=no_plots, with_trend=with_trend, report_file=report_file
    )
    report = analyze(
        benchmarks or None,
        measures=[measure] if measure else None,
        targets=targets or None,
        data=data,
        conversion=conversion,
        hardware=hardware,
        region=region,
        utilization=utilization,
        frontier=frontier,
        exclude_flagged=exclude_flagged,
        burden_precision=burden_precision,
        params_per_pass=params_per_pass,
        since=since,
        until=until,
        allow_insignificant=allow_insignificant,
    )
    affs = None
    if afford_opts is not None:
        affs = afford(
            report, hardware=hardware, benchmark=benchmark, allow_insignificant=allow_insignificant, **afford_opts
        )
    trend = compute_trend_for(data) if with_trend else None
    written, plot_error = _plots(report, plot_dir, trend, affs)
    if report_file is not None:
        from flopcast.report.trends_page import trends_data, write_trends_page
        from flopcast.report.trends_plots import write_plots

        write_trends_page(
            report_file,
            trends_data(report, trend, affs, written),
            written,
            draw=lambda folder: write_plots(report, folder, trend=trend),
        )
        typer.echo(f"wrote {report_file} (trends report)", err=True)
    if json_out:
        typer.echo(_json(report, trend, affs, written, plot_error))
    else:
        from flopcast.report.trends_render import render_trends

        render_trends(report, trend, written, plot_dir, affs)
    if plot_error:
        raise InputError(plot_error)


def _check_paper_alone(**given) -> None:
    """--paper reconciles the default analysis: an option that would change (or be ignored by) it is refused."""
    from flopcast.errors import InputError

    name = next((k for k, v in given.items() if v is not None), None)
    if name is not None:
        flag = "--" + name.replace("_", "-")
        raise InputError(
            f"--paper reconciles the default analysis (all bundled benchmarks, paper-era beside); "
            f"drop {flag} or drop --paper"
        )


def _run_paper(json_out: bool) -> None:
    from flopcast.trends import reconcile

    rec = reconcile()
    if json_out:
        from flopcast.report.jsonout import dumps

        typer.echo(dumps(rec.to_dict()))
        return
    from flopcast.report.trends_render import render_paper

    render_paper(rec)


ReportPage = Annotated[
    Path | None,
    typer.Option(
        "--report",
        help="Also write the analysis as one page with its plots: "
        "FILE.html (plots as inline SVG) or FILE.md (links the --plots files).",
    ),
]


def trends_cmd(
    benchmark: list[str] = typer.Option(None, "--benchmark", "-b", help=_BENCH_HELP),
    measure: Measure = None,
    frontier: Frontier = False,
    data: Data = None,
    target: list[float] = typer.Option(
        None, "--target", "-t", help="Target error in percent (repeatable); default: per-benchmark targets."
    ),
    conversion: Conversion = CONVERSION,
    hardware: TrendsHardware = None,
    region: TrendsRegion = None,
    utilization: TrendsUtilization = None,
    exclude_flagged: ExcludeFlagged = False,
    burden_precision: BurdenPrecision = None,
    params_per_pass: ParamsPerPass = False,
    plots: Path = typer.Option(None, "--plots", help="Folder for PNG+SVG plots (default ./flopcast-plots)."),
    no_plots: bool = typer.Option(False, "--no-plots", help="Write no plots."),
    since: Since = None,
    until: Until = None,
    allow_insignificant: AllowInsignificant = False,
    paper: bool = typer.Option(
        False,
        "--paper",
        help="Every known claim of the paper beside flopcast's "
        "number, with a verdict (reproduced / explained difference / not reproducible).",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print JSON (fits, projections, compute_trend)."),
    report: ReportPage = None,
) -> None:
    """Fit how benchmark error falls with computation (Thompson et al. 2020) and project targets.

    Example: flopcast trends --benchmark imagenet --measure per-pass
    """
    if paper:
        _check_paper_alone(
            benchmark=benchmark or None,
            measure=measure,
            frontier=frontier or None,
            data=data,
            target=target or None,
            conversion=None if conversion == CONVERSION else conversion,
            hardware=hardware,
            region=region,
            utilization=utilization,
            exclude_flagged=exclude_flagged or None,
            burden_precision=burden_precision,
            params_per_pass=params_per_pass or None,
            plots=plots,
            since=since,
            until=until,
            allow_insignificant=allow_insignificant or None,
            report=report,
        )
        _run_paper(json_out)
        return
    _run(
        benchmarks=benchmark,
        measure=measure,
        frontier=frontier,
        data=data,
        targets=target,
        conversion=conversion,
        hardware=hardware,
        region=region,
        utilization=utilization,
        exclude_flagged=exclude_flagged,
        plots=plots,
        no_plots=no_plots,
        json_out=json_out,
        with_trend=True,
        burden_precision=burden_precision,
        params_per_pass=params_per_pass,
        since=since,
        until=until,
        allow_insignificant=allow_insignificant,
        report_file=report,
    )


def project_cmd(
    benchmark: str = typer.Argument(None, help="Bundled benchmark (omit with --data)."),
    target: list[float] = typer.Option(
        ...,
        "--target",
        "-t",
        help="Target error in percent (repeatable), e.g. 5 for 5% top-1 error; BLEU/F1 targets are 100 - score.",
    ),
    measure: Measure = None,
    frontier: Frontier = False,
    data: Data = None,
    conversion: Conversion = CONVERSION,
    hardware: TrendsHardware = None,
    region: TrendsRegion = None,
    utilization: TrendsUtilization = None,
    exclude_flagged: ExcludeFlagged = False,
    burden_precision: BurdenPrecision = None,
    params_per_pass: ParamsPerPass = False,
    plots: Path = typer.Option(None, "--plots", help="Folder for PNG+SVG plots (none by default)."),
    since: Since = None,
    until: Until = None,
    budget_usd: float = typer.Option(
        None,
        "--budget-usd",
        help="Budget in USD: efficiency needed and the year the trends make the target affordable.",
    ),
    budget_co2_t: float = typer.Option(
        None,
        "--budget-co2-t",
        help="CO2 budget in tonnes (its cost falls with algorithmic progress and hardware energy efficiency).",
    ),
    year: int = typer.Option(
        None, "--year", help="Also report the cost in this year and the chance it fits the budget by then."
    ),
    lever: list[str] = typer.Option(
        None, "--lever", help="precision=fp8, sparsity=2:4, distill=0.25, hardware=B200 (repeatable; combined)."
    ),
    pp_doubling: float = typer.Option(
        None,
        "--price-performance-doubling-years",
        help="Override the fitted FLOP/s-per-$ doubling time (Epoch AI hardware prices).",
    ),
    alg_doubling: float = typer.Option(
        None,
        "--algorithmic-doubling-years",
        help="Override the cited "
        "algorithmic-progress halving time of compute (vision: Erdil & "
        "Besiroglu 2022, 0.75; language: Ho et al. 2024, 0.67).",
    ),
    spending_growth: bool = typer.Option(
        False, "--spending-growth", help="Grow the budget at Cottier et al. 2024's 2.4x per year [2.0, 2.9]."
    ),
    spending_growth_per_year: float = typer.Option(
        None, "--spending-growth-per-year", help="Grow the budget by this factor per year instead."
    ),
    ee_doubling: float = typer.Option(
        None,
        "--energy-efficiency-doubling-years",
        help="Override the fitted FLOP/s-per-watt doubling time (Epoch AI chip table) that lowers CO2.",
    ),
    allow_insignificant: AllowInsignificant = False,
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    report: ReportPage = None,
) -> None:
    """Computation, dollars and CO2 to reach a target error on one benchmark.

    Example: flopcast project imagenet --target 5 --conversion hardware --hardware "H100 SXM" --region USA
    """
    if benchmark is None and data is None:
        from flopcast.errors import InputError
        from flopcast.trends import BENCHMARKS

        raise InputError("name a benchmark (" + ", ".join(BENCHMARKS) + ") or pass --data FILE.csv")
    from flopcast.trends import afford_options

    afford_opts = afford_options(
        budget_usd=budget_usd,
        budget_co2_t=budget_co2_t,
        year=year,
        lever_texts=lever,
        price_performance_doubling_years=pp_doubling,
        algorithmic_doubling_years=alg_doubling,
        spending_growth=spending_growth,
        spending_growth_per_year=spending_growth_per_year,
        energy_efficiency_doubling_years=ee_doubling,
    )
    _run(
        benchmarks=[benchmark] if benchmark else None,
        measure=measure,
        frontier=frontier,
        data=data,
        targets=target,
        conversion=conversion,
        hardware=hardware,
        region=region,
        utilization=utilization,
        exclude_flagged=exclude_flagged,
        plots=plots,
        no_plots=plots is None,
        json_out=json_out,
        with_trend=False,
        burden_precision=burden_precision,
        params_per_pass=params_per_pass,
        since=since,
        until=until,
        allow_insignificant=allow_insignificant,
        afford_opts=afford_opts,
        report_file=report,
        benchmark=benchmark,
    )


def register(app: typer.Typer) -> None:
    app.command("trends")(trends_cmd)
    app.command("project")(project_cmd)
