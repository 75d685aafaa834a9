"""Regions (grid intensity), prices and PUE."""

from __future__ import annotations

import pytest

from flopcast.errors import AmbiguousNameError, InputError, UnknownNameError
from flopcast.hardware import (
    default_pue,
    get_price,
    get_region,
    list_regions,
    normalize_pricing,
    price_range,
    provider_pue,
)
from flopcast.hardware.regions import AWS_REGIONS, AZURE_REGIONS


@pytest.mark.parametrize(
    ("code", "expected", "g"),
    [
        ("FRA", "FRA", None),
        ("france", "FRA", None),
        ("USA", "USA", None),
        ("us-central1", "gcp:us-central1", 430),
        ("gcp:us-central1", "gcp:us-central1", 430),
        ("GCP:europe-west9", "gcp:europe-west9", 34),
        ("aws:us-east-1", "aws:us-east-1", 244.8),
        ("us-east-1", "aws:us-east-1", 244.8),
        ("azure:eastus", "azure:eastus", 244.8),
        ("westus2", "azure:westus2", 120.9),
        ("US-VA", "US-VA", 244.8),
        ("me-central1", "gcp:me-central1", 575),
    ],
)
def test_region_lookup(code, expected, g):
    r = get_region(code)
    assert r.code == expected and r.source
    if g is not None:
        assert r.g_co2e_per_kwh == pytest.approx(g)


def test_aws_and_azure_map_to_their_grid():
    assert get_region("aws:eu-west-3").g_co2e_per_kwh == get_region("FRA").g_co2e_per_kwh
    assert get_region("azure:swedencentral").g_co2e_per_kwh == get_region("SWE").g_co2e_per_kwh
    assert "aws-regions" in get_region("aws:us-west-2").source
    codes = {r.code for r in list_regions()}
    assert {f"aws:{k}" for k in AWS_REGIONS} <= codes and {f"azure:{k}" for k in AZURE_REGIONS} <= codes


def test_region_errors():
    with pytest.raises(UnknownNameError, match="nearest"):
        get_region("us-centrl1")
    with pytest.raises(AmbiguousNameError, match="gcp:us-east1"):
        get_region("useast1")
    with pytest.raises(InputError):
        get_region("")


def test_prices_carry_pricing_date_and_source():
    p = get_price("h100 sxm", "on-demand", "aws")
    assert (p.usd_per_chip_hour, p.as_of, p.provider) == (6.88, "2026-11-09", "AWS")
    assert "cloud_gpu_prices.csv" in p.source and p.confirmed
    r = price_range("h100 sxm")
    assert r.low.usd_per_chip_hour <= r.central.usd_per_chip_hour <= r.high.usd_per_chip_hour
    assert all(q.pricing == "on-demand" for q in r.quotes)
    # historical list prices are not on-demand quotes
    assert 12.29 in {q.usd_per_chip_hour for q in r.quotes}  # Azure today, not the 2023 AWS row
    assert get_price("h100 sxm", "reservation").pricing == "reserved"


def test_older_chips_priced_from_epoch():
    p = get_price("NVIDIA K80")
    assert "Epoch AI" in p.source and 0.3 < p.usd_per_chip_hour < 2


def test_unconfirmed_quotes_are_a_last_resort():
    # T4: the curated AWS quote is marked "verify"; Epoch's confirmed quotes win
    assert "Epoch AI" in get_price("T4").source
    # TPU v4 on-demand: curated quote unconfirmed, Epoch has GCP quotes
    assert all(q.confirmed for q in price_range("TPU v4").quotes)
    # H100 NVL spot: nothing at all
    with pytest.raises(InputError, match="known: Azure on-demand"):
        get_price("H100 NVL", "spot")


def test_price_errors():
    with pytest.raises(InputError, match="no price known"):
        get_price("GTX 580")
    with pytest.raises(InputError, match="unknown pricing"):
        normalize_pricing("lease")


def test_pue_defaults():
    value, source = default_pue()
    assert value == 1.56 and "Uptime" in source
    assert provider_pue("gcp")[0] == 1.12
    assert provider_pue("nobody") is None


def test_each_price_says_which_table_it_came_from():
    # price_range prefers the curated table by this field, not by searching the source text
    from flopcast.hardware import list_prices
    from flopcast.hardware.prices import CURATED, EPOCH

    quotes = list_prices("H100 SXM")
    assert {q.origin for q in quotes} == {CURATED, EPOCH}
    assert all(("cloud_gpu_prices.csv" in q.source) == (q.origin == CURATED) for q in quotes)
