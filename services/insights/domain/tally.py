"""Cells summed over an area and a period: counters add up, samples pool (so a
percentile of a week is the percentile of its orders, not a mean of daily ones),
maxima keep the largest."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Mapping


@dataclass
class Tally:
    counts: Counter = field(default_factory=Counter)
    samples: dict[str, list[int]] = field(default_factory=dict)
    maxima: dict[str, float] = field(default_factory=dict)

    def add_counts(self, counters: Mapping[str, float]) -> None:
        for key, value in counters.items():
            self.counts[key] += value

    def add_samples(self, measure: str, values: Iterable[int]) -> None:
        self.samples.setdefault(measure, []).extend(values)

    def add_maximum(self, name: str, value: float | None) -> None:
        if value is not None and value > self.maxima.get(name, float("-inf")):
            self.maxima[name] = value

    def merge(self, other: "Tally") -> None:
        self.add_counts(other.counts)
        for measure, values in other.samples.items():
            self.add_samples(measure, values)
        for name, value in other.maxima.items():
            self.add_maximum(name, value)


def combined(tallies: Iterable[Tally]) -> Tally:
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    return total


def percentile(values: Iterable[int], q: float) -> int | None:
    """Nearest-rank percentile (the smallest value with at least q of all at or below
    it): always one of the stored values, the same whatever order they were stored in."""
    ordered = sorted(values)
    if not ordered:
        return None
    if not 0 < q <= 1:
        raise ValueError("q is a share in (0, 1]")
    rank = math.ceil(round(len(ordered) * q, 9))  # 10 * 0.9 is 9.000000000000002 in floats
    return ordered[max(rank, 1) - 1]


def level_at(deltas_by_day: Mapping[str, float], day: str) -> float:
    """A state on `day` (ISO dates) from its day deltas: the sum up to and including it."""
    return sum(delta for d, delta in deltas_by_day.items() if d <= day)
