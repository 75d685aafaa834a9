"""One owner per fact (issue 12): estimate and track read the same default grid, PUE and provider names."""

from __future__ import annotations

import pytest

from flopcast.estimate import estimate
from flopcast.hardware import default_grid, get_region, provider_pue
from flopcast.measure.rates import resolve_rates


def _a(est, name):
    return next(a for a in est.assumptions if a.name == name)


def test_no_region_is_the_world_average_in_estimate_and_track():
    est = estimate(params=7e9, tokens=1e12, hardware="H100 SXM", chips=8)
    rates = resolve_rates(hardware="H100 SXM", chips=8)
    # Ember, Global Electricity Review 2024: world power-sector intensity 480 gCO2/kWh in 2023
    assert default_grid().g_co2e_per_kwh == 480.0
    assert _a(est, "grid_intensity").value == rates.g_co2e_per_kwh == 480.0
    assert _a(est, "grid_intensity").basis.value == "assumed" and "world average" in _a(est, "grid_intensity").source
    assert est.co2e_kg == pytest.approx(est.energy_kwh * 480.0 / 1000.0)


@pytest.mark.parametrize("region", ["gcp:us-central1", "aws:us-east-1", "azure:eastus", "FRA"])
def test_provider_pue_is_one_lookup(region):
    est = estimate(params=7e9, tokens=1e12, hardware="H100 SXM", chips=8, region=region)
    rates = resolve_rates(hardware="H100 SXM", chips=8, region=region)
    assert _a(est, "pue").value == rates.pue
    if region == "gcp:us-central1":  # data/hardware/pue_values.csv: Google Cloud 2023, 1.12
        assert rates.pue == 1.12 == provider_pue("gcp")[0]
    assert rates.g_co2e_per_kwh == get_region(region).g_co2e_per_kwh


@pytest.mark.parametrize("spelling", ["gcp", "GCP", "google", "Google Cloud", "gcloud"])
def test_every_spelling_of_a_provider_reads_one_table(spelling):
    assert provider_pue(spelling) == provider_pue("gcp")
    assert get_region(f"{spelling}:us-central1").code == "gcp:us-central1"
