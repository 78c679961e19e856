"""Computed indicators: a registry of functions that read the platform's own data.

    from chengyun.renewal import providers
    providers.register("drainage.waterlogging_points", "严重易涝积水点数量", func)

``func(year, unit_kind) -> {unit_code: value}`` returns a value per spatial unit of that kind
(unit kinds as in ``models.SpatialUnit``: building, compound, community, street, district) and
may leave out units it has nothing to say about; it returns {} for a unit kind it does not
support. An indicator names its provider in ``Indicator.computed_by``; the "compute" action
(services.measurements.compute) runs the providers of a year's indicators and stores the values
as computed measurements. Other apps register from their AppConfig.ready().
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

ProviderFunc = Callable[[int, str], dict[str, float]]


@dataclass(frozen=True)
class Provider:
    key: str
    label: str
    func: ProviderFunc


_providers: dict[str, Provider] = {}


def register(key: str, label: str, func: ProviderFunc) -> None:
    if not key or not callable(func):
        raise ValueError("a provider needs a key and a callable")
    _providers[key] = Provider(key, label, func)


def get(key: str) -> Provider | None:
    return _providers.get(key)


def all_providers() -> list[Provider]:
    return sorted(_providers.values(), key=lambda p: p.key)
