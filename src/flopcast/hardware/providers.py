"""Cloud providers: the one table of their names (price quotes, region prefixes and PUE rows all read it).

A provider is known by a short key (``"gcp"``, ``"aws"``, ``"azure"``, ``"lambda"``), the label the
price tables print (``"GCP"``) and the scope its PUE row carries in ``data/hardware/pue_values.csv``
(``"Google Cloud"``). Any spelling in ``ALIASES`` (compared after :func:`flopcast._names.normalize`)
names the same provider.
"""

from __future__ import annotations

from dataclasses import dataclass

from flopcast._names import normalize


@dataclass(frozen=True)
class Provider:
    """One cloud provider: lookup key, printed label, and the scope of its PUE row (or ``None``)."""

    key: str
    label: str
    pue_scope: str | None


PROVIDERS = {
    "gcp": Provider("gcp", "GCP", "Google Cloud"),
    "aws": Provider("aws", "AWS", "AWS"),
    "azure": Provider("azure", "Azure", "Microsoft Azure"),
    "lambda": Provider("lambda", "Lambda", None),
}
# normalized spelling -> provider key (Epoch's price table spells the vendor out: "Amazon Web Services")
ALIASES = {
    "gcp": "gcp",
    "google": "gcp",
    "googlecloud": "gcp",
    "gcloud": "gcp",
    "aws": "aws",
    "amazon": "aws",
    "amazonwebservices": "aws",
    "azure": "azure",
    "microsoft": "azure",
    "microsoftazure": "azure",
    "lambda": "lambda",
    "lambdalabs": "lambda",
}


def get_provider(name: str) -> Provider | None:
    """The provider ``name`` spells (``"Google Cloud"``, ``"gcloud"`` -> GCP), or ``None`` for another one."""
    key = ALIASES.get(normalize(name or ""))
    return None if key is None else PROVIDERS[key]


def provider_key(name: str) -> str:
    """A comparison key: the provider's key where known, else the normalized name ("CoreWeave" -> "coreweave")."""
    p = get_provider(name)
    return p.key if p is not None else normalize(name or "")


def provider_label(name: str) -> str:
    """The label price tables print: ``"Amazon Web Services"`` -> ``"AWS"``; unknown names as given."""
    p = get_provider(name)
    return p.label if p is not None else name
