"""Plausible water-quality and discharge values for the demo devices (history and live simulator).

Pure Python: a profile per site gives each factor a base level; on top come a daily cycle
(photosynthesis lifts DO and pH in the afternoon, water warms in the day, discharges follow
working hours), noise, and occasional pollution episodes that push a section past its
target class. The same function feeds the 30-day history and the live simulator, so the
live data continues the history.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime

SECTION_FACTORS = ["w01001", "w01009", "w01019", "w21003", "w21011", "w01018", "w01010", "w01014"]
OUTFALL_FACTORS = ["w01018", "w21003", "w21011", "w00000"]
UNITS = {"w01001": "", "w01009": "mg/L", "w01019": "mg/L", "w21003": "mg/L", "w21011": "mg/L", "w01018": "mg/L",
         "w01010": "℃", "w01014": "μS/cm", "w00000": "L/s"}
DECIMALS = {"w01001": 2, "w01009": 2, "w01019": 2, "w21003": 3, "w21011": 3, "w01018": 1, "w01010": 1, "w01014": 0, "w00000": 2}
# Factors a pollution episode raises (and DO, which it lowers).
POLLUTANTS = {"w01019", "w21003", "w21011", "w01018"}


@dataclass(frozen=True)
class Profile:
    """Base levels of one site's factors; ``pollution`` scales the pollutants (1 = the class Ⅲ-ish river)."""

    kind: str  # section | industrial | wwtp | rain | combined | other
    pollution: float = 1.0
    flow: float = 0.0  # L/s, outfalls
    dry_weather_flow: float = 0.0  # L/s from a rain outfall in dry weather: a misconnection
    episode_rate: float = 0.004  # chance per hour that an exceedance episode starts
    extra: dict = field(default_factory=dict)


_SECTION_BASE = {"w01001": 7.7, "w01009": 7.8, "w01019": 3.6, "w21003": 0.42, "w21011": 0.11, "w01018": 13.5,
                 "w01010": 11.0, "w01014": 560.0, "w21001": 1.1, "w01017": 3.2, "w01012": 18.0, "w01020": 4.5}
# Any other factor a device is registered with still gets a plausible steady value.
_OTHER_BASE = 1.0
_OUTFALL_BASE = {
    "industrial": {"w01018": 62.0, "w21003": 4.2, "w21011": 0.45},
    "wwtp": {"w01018": 28.0, "w21003": 1.6, "w21011": 0.32},
    "rain": {"w01018": 38.0, "w21003": 1.1, "w21011": 0.18},
    "combined": {"w01018": 95.0, "w21003": 9.0, "w21011": 1.1},
    "other": {"w01018": 45.0, "w21003": 2.5, "w21011": 0.3},
}


def _daily(hour: float, peak_hour: float) -> float:
    """A cosine day, 1 at ``peak_hour`` and -1 twelve hours later."""
    return math.cos((hour - peak_hour) / 24.0 * 2 * math.pi)


def _work_hours(hour: float) -> float:
    """Discharge pattern of a town: low at night, morning and evening peaks."""
    return 0.45 + 0.4 * math.exp(-((hour - 8.5) ** 2) / 4) + 0.35 * math.exp(-((hour - 19.5) ** 2) / 5) + 0.2 * (7 <= hour <= 22)


class Site:
    """One device's simulated state (an exceedance episode spans several samples)."""

    def __init__(self, profile: Profile, rng: random.Random) -> None:
        self.profile = profile
        self.rng = rng
        self.episode_until: datetime | None = None
        self.episode_factor = 1.0

    def _episode(self, when: datetime, hours_per_sample: float) -> float:
        if self.episode_until is not None and when < self.episode_until:
            return self.episode_factor
        self.episode_until = None
        if self.rng.random() < self.profile.episode_rate * hours_per_sample:
            from datetime import timedelta

            self.episode_until = when + timedelta(hours=self.rng.uniform(2, 7))
            self.episode_factor = self.rng.uniform(2.2, 4.0)
            return self.episode_factor
        return 1.0

    def sample(self, code: str, when: datetime, episode: float) -> tuple[float, str]:
        """(value, HJ 212 flag) of one factor at China local time ``when``."""
        p, rng = self.profile, self.rng
        hour = when.hour + when.minute / 60
        noise = rng.gauss(0, 1)
        if p.kind == "section":
            base = _SECTION_BASE.get(code, _OTHER_BASE)
            if code == "w01001":
                value = base + 0.25 * _daily(hour, 15) + 0.05 * noise - 0.1 * (p.pollution - 1)
            elif code == "w01009":
                value = base / p.pollution ** 0.5 + 1.3 * _daily(hour, 15) + 0.2 * noise
                value /= episode ** 0.6
            elif code == "w01010":
                value = base + 1.8 * _daily(hour, 15) + 0.15 * noise - 0.12 * (when.day - 1) / 30 * 5
            elif code == "w01014":
                value = base * p.pollution ** 0.3 + 15 * noise
            else:
                value = base * p.pollution * (1 + 0.06 * noise) * (1 + 0.08 * _daily(hour, 9)) * episode
        else:
            if p.kind == "rain":
                flow = p.dry_weather_flow * _work_hours(hour)
            elif p.kind == "combined":
                # A combined-sewer overflow outfall: the intercepting weir sends dry-weather flow on
                # to the sewer; the river sees flow only while a storm (an episode) spills over it.
                flow = p.flow * (episode - 1.0)
            else:
                flow = p.flow * _work_hours(hour)
            if code == "w00000":
                value = max(0.0, flow * (1 + 0.05 * noise))
            else:
                base = _OUTFALL_BASE.get(p.kind, _OUTFALL_BASE["other"]).get(code, _SECTION_BASE.get(code, _OTHER_BASE) * 3) * p.pollution
                value = base * (1 + 0.08 * noise) * episode if flow > 0 else 0.0
        value = max(value, 0.0)
        flag = "N"
        roll = rng.random()
        if roll < 0.002:
            flag = "D"  # instrument fault now and then
        elif roll < 0.004:
            flag = "C"  # calibration
        return round(value, DECIMALS.get(code, 3)), flag

    def values(self, codes: list[str], when: datetime, hours_per_sample: float = 1.0) -> dict[str, tuple[float, str]]:
        episode = self._episode(when, hours_per_sample)
        if self.profile.kind == "section" and when.weekday() == 1 and when.hour in (10, 11):
            # Weekly maintenance on Tuesday mornings: values kept but flagged M.
            return {c: (self.sample(c, when, episode)[0], "M") for c in codes}
        return {c: self.sample(c, when, episode) for c in codes}


def profile_for(entry: dict) -> Profile:
    """The profile of a DEMO_DEVICES entry (or a plain section/outfall device)."""
    if entry.get("site_kind") == "section":
        return Profile("section", pollution=entry.get("pollution", 1.0), episode_rate=entry.get("episode_rate", 0.004))
    kind = entry.get("outfall_kind", "other")
    return Profile(kind, pollution=entry.get("pollution", 1.0), flow=entry.get("flow", 20.0),
                   dry_weather_flow=entry.get("dry_weather_flow", 0.0), episode_rate=entry.get("episode_rate", 0.003))
