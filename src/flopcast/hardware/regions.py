"""Grid carbon intensity by country (ISO3), US state grid, and cloud region (GCP, AWS, Azure).

Bundled data: ``data/hardware/grid_carbon_intensity_by_country.csv`` (Our World in Data, CC BY 4.0)
and ``data/hardware/grid_carbon_intensity_by_cloud_region.csv`` (Google Cloud region data; US EPA
eGRID2023 state rates). AWS and Azure publish no per-region grid figure in that data, so each of
their regions is mapped here to the grid it sits on (its country, or its US state's eGRID rate),
by the region's location as the provider documents it:
AWS "Regions and Availability Zones" (docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html)
and Azure "Azure geographies" (azure.microsoft.com/explore/global-infrastructure/geographies).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from flopcast._names import nearest, normalize
from flopcast.data import bundled
from flopcast.errors import AmbiguousNameError, InputError, UnknownNameError
from flopcast.hardware.providers import get_provider
from flopcast.provenance import Assumption, Basis

_HINT = "see `flopcast regions list`"

# AWS region -> (location, grid code); grid code is an ISO3 country or "US-<state>".
AWS_REGIONS = {
    "us-east-1": ("N. Virginia", "US-VA"),
    "us-east-2": ("Ohio", "US-OH"),
    "us-west-1": ("N. California", "US-CA"),
    "us-west-2": ("Oregon", "US-OR"),
    "us-gov-west-1": ("GovCloud (US-West), Oregon", "US-OR"),
    "us-gov-east-1": ("GovCloud (US-East), Ohio", "US-OH"),
    "ca-central-1": ("Canada (Central), Montreal", "CAN"),
    "ca-west-1": ("Canada West, Calgary", "CAN"),
    "sa-east-1": ("Sao Paulo", "BRA"),
    "mx-central-1": ("Mexico (Central)", "MEX"),
    "eu-west-1": ("Ireland", "IRL"),
    "eu-west-2": ("London", "GBR"),
    "eu-west-3": ("Paris", "FRA"),
    "eu-central-1": ("Frankfurt", "DEU"),
    "eu-central-2": ("Zurich", "CHE"),
    "eu-north-1": ("Stockholm", "SWE"),
    "eu-south-1": ("Milan", "ITA"),
    "eu-south-2": ("Spain (Aragon)", "ESP"),
    "ap-northeast-1": ("Tokyo", "JPN"),
    "ap-northeast-2": ("Seoul", "KOR"),
    "ap-northeast-3": ("Osaka", "JPN"),
    "ap-southeast-1": ("Singapore", "SGP"),
    "ap-southeast-2": ("Sydney", "AUS"),
    "ap-southeast-3": ("Jakarta", "IDN"),
    "ap-southeast-4": ("Melbourne", "AUS"),
    "ap-southeast-5": ("Malaysia", "MYS"),
    "ap-south-1": ("Mumbai", "IND"),
    "ap-south-2": ("Hyderabad", "IND"),
    "ap-east-1": ("Hong Kong", "HKG"),
    "me-south-1": ("Bahrain", "BHR"),
    "me-central-1": ("UAE", "ARE"),
    "il-central-1": ("Tel Aviv", "ISR"),
    "af-south-1": ("Cape Town", "ZAF"),
}

# Azure region -> (location, grid code).
AZURE_REGIONS = {
    "eastus": ("Virginia", "US-VA"),
    "eastus2": ("Virginia", "US-VA"),
    "centralus": ("Iowa", "US-IA"),
    "northcentralus": ("Illinois", "US-IL"),
    "southcentralus": ("Texas", "US-TX"),
    "westcentralus": ("Wyoming", "US-WY"),
    "westus": ("California", "US-CA"),
    "westus2": ("Washington", "US-WA"),
    "westus3": ("Arizona", "US-AZ"),
    "canadacentral": ("Toronto", "CAN"),
    "canadaeast": ("Quebec City", "CAN"),
    "brazilsouth": ("Sao Paulo State", "BRA"),
    "northeurope": ("Ireland", "IRL"),
    "westeurope": ("Netherlands", "NLD"),
    "uksouth": ("London", "GBR"),
    "ukwest": ("Cardiff", "GBR"),
    "francecentral": ("Paris", "FRA"),
    "germanywestcentral": ("Frankfurt", "DEU"),
    "swedencentral": ("Gavle", "SWE"),
    "switzerlandnorth": ("Zurich", "CHE"),
    "norwayeast": ("Oslo", "NOR"),
    "italynorth": ("Milan", "ITA"),
    "polandcentral": ("Warsaw", "POL"),
    "spaincentral": ("Madrid", "ESP"),
    "japaneast": ("Tokyo, Saitama", "JPN"),
    "japanwest": ("Osaka", "JPN"),
    "koreacentral": ("Seoul", "KOR"),
    "southeastasia": ("Singapore", "SGP"),
    "eastasia": ("Hong Kong", "HKG"),
    "australiaeast": ("New South Wales", "AUS"),
    "australiasoutheast": ("Victoria", "AUS"),
    "centralindia": ("Pune", "IND"),
    "southindia": ("Chennai", "IND"),
    "southafricanorth": ("Johannesburg", "ZAF"),
    "uaenorth": ("Dubai", "ARE"),
    "qatarcentral": ("Doha", "QAT"),
    "israelcentral": ("Israel", "ISR"),
}
_AWS_BASIS = "AWS region location per docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html"
_AZURE_BASIS = "Azure region location per azure.microsoft.com/explore/global-infrastructure/geographies"
# A GCP region id misspelled in the bundled CSV (Google's id is "me-central1", Doha).
_GCP_FIXES = {"me-cenrtal1": "me-central1"}


@dataclass(frozen=True)
class GridIntensity:
    """Average carbon intensity of the electricity grid a region draws on.

    Attributes
    ----------
    code : lookup code (``"FRA"``, ``"US-VA"``, ``"gcp:us-central1"``, ``"aws:us-east-1"``).
    name : readable name.
    g_co2e_per_kwh : location-based average intensity, grams CO2e per kWh.
    year : data year, or ``None``.
    source : where the figure comes from (and, for AWS/Azure, the mapping's basis).
    """

    code: str
    name: str
    g_co2e_per_kwh: float
    year: int | None
    source: str

    @property
    def label(self) -> str:
        """``"FRA (France)"``: the code and the readable name, as estimates and reports print a region."""
        return f"{self.code} ({self.name})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "flopcast.grid_intensity/1",
            "code": self.code,
            "name": self.name,
            "g_co2e_per_kwh": self.g_co2e_per_kwh,
            "year": self.year,
            "source": self.source,
        }


# The one grid intensity assumed when no region is given (every command). Ember, Global Electricity Review
# 2024 (ember-climate.org/insights/research/global-electricity-review-2024): the CO2 intensity of global
# power generation was 480 gCO2/kWh in 2023. A world average, because nothing is known of where the job ran.
WORLD_GRID = GridIntensity(
    "WORLD", "world average", 480.0, 2023, "Ember Global Electricity Review 2024 (world average 2023)"
)


def default_grid() -> GridIntensity:
    """The grid assumed when no region is given: the world average (:data:`WORLD_GRID`, Ember 2024)."""
    return WORLD_GRID


def default_grid_assumption() -> Assumption:
    """How every command states :func:`default_grid` in its assumptions (basis *assumed*)."""
    g = default_grid()
    return Assumption(
        "grid_intensity",
        g.g_co2e_per_kwh,
        "gCO2e/kWh",
        f"region unknown: {g.name}, {g.source}; pass --region for your grid",
        Basis.ASSUMED,
    )


@cache
def _table() -> dict[str, GridIntensity]:
    table: dict[str, GridIntensity] = {}
    for row in bundled(
        "hardware/grid_carbon_intensity_by_country.csv", ("iso3", "country", "gco2e_per_kwh", "data_year", "source")
    ):
        code = row.get("iso3").upper()
        year = row.number("data_year")
        table[code] = GridIntensity(
            code,
            row.get("country"),
            row.number("gco2e_per_kwh", required=True, minimum=0),
            int(year) if year else None,
            f"{row.get('source')} (data/hardware/grid_carbon_intensity_by_country.csv)",
        )
    for row in bundled(
        "hardware/grid_carbon_intensity_by_cloud_region.csv",
        ("provider", "region", "country", "city", "gco2e_per_kwh", "source"),
    ):
        value = row.number("gco2e_per_kwh", required=True, minimum=0)
        src = f"{row.get('source')} (data/hardware/grid_carbon_intensity_by_cloud_region.csv)"
        if row.get("provider").lower() == "gcp":
            region = _GCP_FIXES.get(row.get("region"), row.get("region"))
            code = f"gcp:{region}"
            table[code] = GridIntensity(
                code, f"GCP {region} ({row.get('city')}, {row.get('country')})", value, None, src
            )
        elif row.get("region").lower() != "usa":  # US state rows (EPA eGRID2023); the national row is USA above
            code = f"US-{row.get('region').upper()}"
            table[code] = GridIntensity(code, f"{row.get('city').title()} (US state grid, eGRID2023)", value, 2023, src)
    for provider, regions, basis in (("aws", AWS_REGIONS, _AWS_BASIS), ("azure", AZURE_REGIONS, _AZURE_BASIS)):
        for region, (where, grid_code) in regions.items():
            grid = table[grid_code]
            code = f"{provider}:{region}"
            table[code] = GridIntensity(
                code,
                f"{provider.upper() if provider == 'aws' else 'Azure'} {region} ({where}) -> grid {grid_code}",
                grid.g_co2e_per_kwh,
                grid.year,
                f"{basis}; grid {grid_code}: {grid.source}",
            )
    return table


REGION_KINDS = ("country", "us-state", "gcp", "aws", "azure")


def region_kind(code: str) -> str:
    """``country``, ``us-state`` or the cloud provider (``gcp``, ``aws``, ``azure``) of a region code."""
    if ":" in code:
        return code.partition(":")[0]
    return "us-state" if code.startswith("US-") else "country"


def list_regions(kind: str | None = None) -> list[GridIntensity]:
    """Every known region (countries (ISO3), US state grids, then GCP, AWS and Azure regions), or those of
    one ``kind`` (:data:`REGION_KINDS`; another is an :class:`InputError`)."""
    regions = list(_table().values())
    if kind is None:
        return regions
    if kind.lower() not in REGION_KINDS:
        raise InputError(f"unknown --kind {kind!r}; choose {', '.join(REGION_KINDS[:-1])} or {REGION_KINDS[-1]}")
    return [r for r in regions if region_kind(r.code) == kind.lower()]


def get_region(code: str) -> GridIntensity:
    """Grid intensity for an ISO3 country (``"FRA"``), a country name (``"France"``), a US state grid
    (``"US-VA"``) or a cloud region (``"us-central1"``, ``"gcp:us-central1"``, ``"aws:us-east-1"``,
    ``"azure:eastus"``). Case-insensitive; an unknown code raises :class:`UnknownNameError` with the
    nearest codes, a bare region id used by two providers :class:`AmbiguousNameError`.
    """
    if not isinstance(code, str) or not code.strip():
        raise InputError("empty region code; see `flopcast regions list`")
    table = _table()
    text = code.strip().lower()
    by_lower = {k.lower(): v for k, v in table.items()}
    if ":" in text:
        provider, _, region = text.partition(":")
        known = get_provider(provider)
        provider = known.key if known is not None else provider
        text = f"{provider}:{region.strip()}"
    if text in by_lower:
        return by_lower[text]
    if ":" not in text:
        hits = [v for k, v in by_lower.items() if k.partition(":")[2] == text]
        if len(hits) == 1:
            return hits[0]
        names = {normalize(v.name): v for k, v in table.items() if len(k) == 3}
        if normalize(text) in names:
            return names[normalize(text)]
    key = normalize(text)
    hits = [v for k, v in table.items() if normalize(k) == key or normalize(k.partition(":")[2]) == key]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise AmbiguousNameError("region", code, [h.code for h in hits], hint="prefix the provider, e.g. gcp:")
    raise UnknownNameError("region", code, nearest(code, list(table), n=6), hint=_HINT)
