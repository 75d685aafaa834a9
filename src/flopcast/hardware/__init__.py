"""Hardware catalogue: accelerators (dense peaks), cloud prices, grid carbon intensity, PUE, the price index."""

from flopcast.hardware.accelerators import (
    PRECISIONS,
    Accelerator,
    PrecisionUnavailableError,
    default_training_precision,
    get_accelerator,
    get_vendor,
    is_datasheet,
    list_accelerators,
    mixed_precision,
    normalize_precision,
    select_accelerators,
    split_hardware,
)
from flopcast.hardware.inflation import ConstantUSD, to_constant_usd
from flopcast.hardware.prices import PRICINGS, Price, PriceRange, get_price, list_prices, normalize_pricing, price_range
from flopcast.hardware.providers import Provider, get_provider
from flopcast.hardware.pue import default_pue, provider_pue, pue_for_region
from flopcast.hardware.regions import GridIntensity, default_grid, default_grid_assumption, get_region, list_regions

__all__ = [
    "PRECISIONS",
    "PRICINGS",
    "Accelerator",
    "ConstantUSD",
    "GridIntensity",
    "PrecisionUnavailableError",
    "Price",
    "PriceRange",
    "Provider",
    "default_grid",
    "default_grid_assumption",
    "default_pue",
    "default_training_precision",
    "get_accelerator",
    "get_price",
    "get_provider",
    "get_region",
    "get_vendor",
    "is_datasheet",
    "list_accelerators",
    "list_prices",
    "list_regions",
    "mixed_precision",
    "normalize_precision",
    "normalize_pricing",
    "price_range",
    "provider_pue",
    "pue_for_region",
    "select_accelerators",
    "split_hardware",
    "to_constant_usd",
]
