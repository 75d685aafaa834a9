"""Constant dollars by FRED PCU518210518210, checked against the bundled CSV read independently with pandas."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from flopcast.data import path
from flopcast.errors import InputError
from flopcast.hardware.inflation import EPOCH_DOLLAR_YEAR, PPI_FILE, index_at, to_constant_usd, year_mean


@pytest.fixture(scope="module")
def ppi() -> pd.Series:
    frame = pd.read_csv(path(PPI_FILE), parse_dates=["observation_date"])
    return frame.set_index("observation_date")["PCU518210518210"]


def test_the_base_month_is_100():
    # FRED indexes this series to December 2000 = 100 (the file's first row).
    assert index_at("2000-12-15") == ("2000-12", 100.0, None)


def test_2023_dollars_match_a_pandas_reading_of_the_series(ppi):
    mean_2023 = ppi[ppi.index.year == 2023].mean()
    at_jan_2020 = ppi[pd.Timestamp("2020-01-01")]
    got = to_constant_usd(1000.0, "2020-01-20")
    assert got.year == EPOCH_DOLLAR_YEAR and got.index_month == "2020-01"
    assert got.usd == pytest.approx(1000.0 * mean_2023 / at_jan_2020, rel=1e-12)
    assert year_mean(2023) == pytest.approx(mean_2023, rel=1e-12)


def test_a_year_only_date_is_read_at_mid_year(ppi):
    assert index_at("2019")[1] == ppi[pd.Timestamp("2019-06-01")]


def test_a_price_after_the_series_is_flagged_not_silent(ppi):
    got = to_constant_usd(10.0, "2026-11-09")
    last = ppi.index.max().strftime("%Y-%m")
    assert got.index_month == last and got.caveat is not None and "after the series ends" in got.caveat


@pytest.mark.parametrize("bad", ["2023-13", "23-01", "soon", "", "2023-1x"])
def test_a_malformed_date_is_one_line_input_error(bad):
    with pytest.raises(InputError, match="YYYY, YYYY-MM or YYYY-MM-DD"):
        to_constant_usd(1.0, bad)


def test_a_year_outside_the_series_is_refused():
    with pytest.raises(InputError, match="no price index for 1990"):
        to_constant_usd(1.0, "2020-01", year=1990)


@given(usd=st.floats(0, 1e12), month=st.integers(1, 12), year=st.integers(2001, 2024))
def test_conversion_is_linear_and_same_month_same_year_is_near_one(usd, month, year):
    got = to_constant_usd(usd, f"{year}-{month:02d}", year=year)
    assert math.isclose(got.usd, usd * got.factor, rel_tol=1e-12, abs_tol=1e-300)
    assert 0.95 < got.factor < 1.05  # within one year the index moves by under 2% (2001-2024: 0.989 to 1.017)
