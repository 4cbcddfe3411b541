"""The calendar: how many calls fall on each day, and which days get special files."""

from __future__ import annotations

import datetime
import random


def daily_volumes(rng: random.Random, requests: int, days: int,
                  end_date: datetime.date) -> list[tuple[datetime.date, int]]:
    """Calls per day: ~3x growth over the period, quiet weekends, noise; sums to `requests`."""
    start = end_date - datetime.timedelta(days=days - 1)
    dates = [start + datetime.timedelta(days=i) for i in range(days)]
    weights = []
    for i, day in enumerate(dates):
        growth = 3.0 ** (i / max(days - 1, 1))
        weekly = rng.uniform(0.35, 0.45) if day.weekday() >= 5 else 1.0
        weights.append(growth * weekly * rng.lognormvariate(0.0, 0.08))
    return list(zip(dates, apportion(requests, weights), strict=True))


def apportion(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to `weights` that sum to exactly `total` (largest remainder)."""
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def pick_days(rng: random.Random, days: int, share: float) -> set[int]:
    """At least one day (so small runs still contain every file kind), about `share` of them."""
    return set(rng.sample(range(days), max(1, round(days * share)))) if days else set()
