"""`flopcast hardware [list | show NAME]` and `flopcast regions [list | show CODE]`: parse, call, render."""

from __future__ import annotations

import typer


def _register_hardware(app: typer.Typer) -> None:
    hw = typer.Typer(
        help="Accelerators: dense peak FLOP/s by precision, memory, TDP, prices.\n\n"
        "Example: flopcast hardware show 'h100 sxm'",
        no_args_is_help=True,
    )

    @hw.command(
        "list",
        help="List accelerators: datasheet rows and the chips the paper's benchmark rows "
        "trained on; --all adds all of Epoch AI's chip table.\n\n"
        "Example: flopcast hardware list --all --search v100",
    )
    def list_cmd(
        all_: bool = typer.Option(False, "--all", help="Include every Epoch AI chip-table row (~2,200)."),
        search: str = typer.Option(None, "--search", help="Only names containing this text (forgiving)."),
        vendor: str = typer.Option(None, "--vendor", help="Only this manufacturer."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        from flopcast.report.console import stdout
        from flopcast.report.hardware_render import accelerator_list_json, accelerator_table
        from flopcast.report.jsonout import dumps
        from flopcast.trends import listed_accelerators

        accs = listed_accelerators(all_rows=all_, search=search, vendor=vendor)
        if as_json:
            typer.echo(dumps(accelerator_list_json(accs)))
            return
        stdout.print(accelerator_table(accs))

    @hw.command(
        "show",
        help="One accelerator: peaks, memory, TDP, sources and cloud prices.\n\n"
        "Example: flopcast hardware show 'NVIDIA Tesla V100 16GB'",
    )
    def show_cmd(
        name: str = typer.Argument(..., help="Accelerator name (forgiving)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        from flopcast.hardware import get_accelerator, list_prices
        from flopcast.report.console import stdout
        from flopcast.report.hardware_render import accelerator_detail, accelerator_json
        from flopcast.report.jsonout import dumps

        acc = get_accelerator(name)
        prices = list_prices(acc)
        if as_json:
            typer.echo(dumps(accelerator_json(acc, prices)))
            return
        for part in accelerator_detail(acc, prices):
            stdout.print(part)

    app.add_typer(hw, name="hardware")


def _register_regions(app: typer.Typer) -> None:
    rg = typer.Typer(
        help="Grid carbon intensity by country, US state grid and cloud region.\n\n"
        "Example: flopcast regions show aws:us-east-1",
        no_args_is_help=True,
    )

    @rg.command(
        "list", help="List regions and their grid intensity (gCO2e/kWh).\n\nExample: flopcast regions list --kind aws"
    )
    def list_cmd(
        kind: str = typer.Option(None, "--kind", help="country, us-state, gcp, aws or azure."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        from flopcast.hardware import list_regions
        from flopcast.report.console import stdout
        from flopcast.report.hardware_render import region_list_json, region_table
        from flopcast.report.jsonout import dumps

        regions = list_regions(kind)
        if as_json:
            typer.echo(dumps(region_list_json(regions)))
            return
        stdout.print(region_table(regions))

    @rg.command(
        "show", help="One region: grid intensity and its source.\n\nExample: flopcast regions show azure:westeurope"
    )
    def show_cmd(
        code: str = typer.Argument(..., help="ISO3 country, US-XX, or [gcp:|aws:|azure:]region."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        from flopcast.hardware import get_region
        from flopcast.report.console import stdout
        from flopcast.report.hardware_render import region_detail
        from flopcast.report.jsonout import dumps

        r = get_region(code)
        if as_json:
            typer.echo(dumps(r))
            return
        stdout.print(region_detail(r))

    app.add_typer(rg, name="regions")


def register(app: typer.Typer) -> None:
    _register_hardware(app)
    _register_regions(app)
