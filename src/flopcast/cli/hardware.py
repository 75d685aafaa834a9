"""`flopcast hardware [list | show NAME]` and `flopcast regions [list | show CODE]`."""

from __future__ import annotations

import typer


def _tflops(v: float | None) -> str:
    return "" if v is None else f"{v / 1e12:,.4g}"


def _accelerator_rows(accs):
    for a in accs:
        p = a.peak_flop_per_s
        half = p.get("bf16", p.get("fp16"))
        yield (a.name, a.year or "", _tflops(p.get("fp32")), _tflops(p.get("tf32")), _tflops(half),
               _tflops(p.get("fp8")), "" if a.memory_bytes is None else f"{a.memory_bytes / 1e9:g}",
               "" if a.tdp_watts is None else f"{a.tdp_watts:g}",
               "" if a.measured_mean_watts is None else f"{a.measured_mean_watts:g}")


def _register_hardware(app: typer.Typer) -> None:
    hw = typer.Typer(help="Accelerators: dense peak FLOP/s by precision, memory, TDP, prices.\n\n"
                          "Example: flopcast hardware show 'h100 sxm'", no_args_is_help=True)

    @hw.command("list", help="List accelerators: datasheet rows and the chips the paper's benchmark rows "
                             "trained on; --all adds all of Epoch AI's chip table.\n\n"
                             "Example: flopcast hardware list --all --search v100")
    def list_cmd(
        all_: bool = typer.Option(False, "--all", help="Include every Epoch AI chip-table row (~2,200)."),
        search: str = typer.Option(None, "--search", help="Only names containing this text (forgiving)."),
        vendor: str = typer.Option(None, "--vendor", help="Only this manufacturer."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        from flopcast._names import normalize
        from flopcast.hardware import benchmark_accelerators, get_vendor, is_datasheet, list_accelerators
        from flopcast.report.console import stdout, table
        from flopcast.report.jsonout import dumps

        accs = list_accelerators()
        if not all_ and not search:
            accs = [a for a in accs if is_datasheet(a)]
            accs += [a for a in benchmark_accelerators() if a not in accs]
        if search:
            key = normalize(search)
            accs = [a for a in accs if any(key in normalize(n) for n in (a.name, *a.aliases))]
        if vendor is not None:
            maker = get_vendor(vendor)
            accs = [a for a in accs if a.vendor == maker]
        if as_json:
            typer.echo(dumps(accs))
            return
        stdout.print(table("Accelerators: DENSE peak TFLOPS",
                           ["name", "year", "fp32", "tf32", "bf16/fp16", "fp8", "GB", "TDP W",
                            "measured mean W"],
                           _accelerator_rows(accs), right_align_from=1,
                           caption=f"{len(accs)} rows; `flopcast hardware show NAME` for sources; --all: every chip"))

    @hw.command("show", help="One accelerator: peaks, memory, TDP, sources and cloud prices.\n\n"
                             "Example: flopcast hardware show 'NVIDIA Tesla V100 16GB'")
    def show_cmd(name: str = typer.Argument(..., help="Accelerator name (forgiving)."),
                 as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
        from flopcast.hardware import get_accelerator, list_prices
        from flopcast.report.console import stdout, table
        from flopcast.report.jsonout import dumps

        acc = get_accelerator(name)
        prices = list_prices(acc)
        if as_json:
            typer.echo(dumps({**acc.to_dict(), "prices": [p.to_dict() for p in prices]}))
            return
        d = acc.to_dict()
        rows = [(f"peak {p}", f"{v / 1e12:,.4g} T{'OPS' if p == 'int8' else 'FLOPS'}"
                 + (" (tensor)" if p in acc.tensor_precisions else "")) for p, v in d["peak_flop_per_s"].items()]
        rows += [("default training precision", d["default_training_precision"]),
                 ("memory", "n/a" if acc.memory_bytes is None else f"{acc.memory_bytes / 1e9:g} GB"),
                 ("bandwidth", "n/a" if acc.memory_bandwidth_bytes_per_s is None
                  else f"{acc.memory_bandwidth_bytes_per_s / 1e9:,.0f} GB/s"),
                 ("TDP", "n/a" if acc.tdp_watts is None else f"{acc.tdp_watts:g} W"),
                 ("measured power (mean / max)", "n/a" if acc.measured_mean_watts is None
                  else f"{acc.measured_mean_watts:g} / {acc.measured_max_watts or float('nan'):g} W (measured in use, "
                  "not a TDP)"),
                 ("vendor / year", f"{acc.vendor} / {acc.year or 'n/a'}"), ("source", acc.source)]
        if acc.aliases:
            rows.append(("also known as", ", ".join(acc.aliases)))
        if acc.notes:
            rows.append(("notes", acc.notes))
        stdout.print(table(acc.name, ["field", "value"], rows, right_align_from=9))
        if prices:
            stdout.print(table("Cloud prices (USD per chip-hour)", ["provider", "offering", "pricing", "USD/h",
                                                                     "as of", "confirmed"],
                               [(p.provider, p.offering, p.pricing, f"{p.usd_per_chip_hour:.3f}", p.as_of,
                                 "yes" if p.confirmed else "verify") for p in prices], right_align_from=3))

    app.add_typer(hw, name="hardware")


def _register_regions(app: typer.Typer) -> None:
    rg = typer.Typer(help="Grid carbon intensity by country, US state grid and cloud region.\n\n"
                          "Example: flopcast regions show aws:us-east-1", no_args_is_help=True)

    @rg.command("list", help="List regions and their grid intensity (gCO2e/kWh).\n\n"
                             "Example: flopcast regions list --kind aws")
    def list_cmd(kind: str = typer.Option(None, "--kind", help="country, us-state, gcp, aws or azure."),
                 as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
        from flopcast.errors import InputError
        from flopcast.hardware import list_regions
        from flopcast.report.console import stdout, table
        from flopcast.report.jsonout import dumps

        def kind_of(code: str) -> str:
            if ":" in code:
                return code.partition(":")[0]
            return "us-state" if code.startswith("US-") else "country"

        regions = list_regions()
        if kind is not None:
            if kind.lower() not in ("country", "us-state", "gcp", "aws", "azure"):
                raise InputError(f"unknown --kind {kind!r}; choose country, us-state, gcp, aws or azure")
            regions = [r for r in regions if kind_of(r.code) == kind.lower()]
        if as_json:
            typer.echo(dumps(regions))
            return
        stdout.print(table("Grid carbon intensity (location-based)", ["code", "name", "gCO2e/kWh", "year"],
                           [(r.code, r.name, f"{r.g_co2e_per_kwh:g}", r.year or "") for r in regions],
                           right_align_from=2, caption=f"{len(regions)} regions; `flopcast regions show CODE` "
                           "for sources"))

    @rg.command("show", help="One region: grid intensity and its source.\n\n"
                             "Example: flopcast regions show azure:westeurope")
    def show_cmd(code: str = typer.Argument(..., help="ISO3 country, US-XX, or [gcp:|aws:|azure:]region."),
                 as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
        from flopcast.hardware import get_region
        from flopcast.report.console import stdout, table
        from flopcast.report.jsonout import dumps

        r = get_region(code)
        if as_json:
            typer.echo(dumps(r))
            return
        stdout.print(table(r.code, ["field", "value"], [("name", r.name), ("gCO2e/kWh", f"{r.g_co2e_per_kwh:g}"),
                                                         ("year", r.year or "n/a"), ("source", r.source)],
                           right_align_from=9))

    app.add_typer(rg, name="regions")


def register(app: typer.Typer) -> None:
    _register_hardware(app)
    _register_regions(app)
