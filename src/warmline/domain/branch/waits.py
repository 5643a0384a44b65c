"""Estimated waits, from how long this branch's recent visits took at each service point
and hour of the day.

A visit's service time is from the call to the end. For a service point at an hour of
the day (the branch's own time), the typical service time is the median of its recent
visits begun in that hour; with fewer than ``MIN_VISITS`` of them, the point's median
over every hour; with fewer still, the service's configured minutes. The points that
serve a queue work through it together: each finishes a visit every typical service
time, shared between the queues it calls, so a customer with ``ahead`` people before
them waits about ``(ahead + 0.5) / rate`` (the half: whoever is at the counter now is,
on average, half done).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from warmline.domain.branch.setup import Service, ServicePoint

MIN_VISITS = 5
#: Visits shorter or longer than this are mistakes (a ticket called by accident, a visit
#: never finished) and do not count.
SHORTEST = dt.timedelta(seconds=30)
LONGEST = dt.timedelta(hours=4)
ANY_HOUR = -1


@dataclass(frozen=True, slots=True)
class Served:
    """A finished visit: where it was served, when the call came and when it ended."""

    point: str
    called_at: dt.datetime
    ended_at: dt.datetime


def typical_service(served: Iterable[Served], zone: dt.tzinfo) -> dict[tuple[str, int], float]:
    """Median service seconds per (service point, local hour), and per point over every
    hour (``ANY_HOUR``), counting only the groups with ``MIN_VISITS`` visits or more."""
    groups: dict[tuple[str, int], list[float]] = {}
    for visit in served:
        took = visit.ended_at - visit.called_at
        if not SHORTEST <= took <= LONGEST:
            continue
        hour = visit.called_at.astimezone(zone).hour
        seconds = took.total_seconds()
        groups.setdefault((visit.point, hour), []).append(seconds)
        groups.setdefault((visit.point, ANY_HOUR), []).append(seconds)
    return {
        key: statistics.median(times) for key, times in groups.items() if len(times) >= MIN_VISITS
    }


def estimate_wait(
    *,
    ahead: int,
    service: Service,
    points: Sequence[ServicePoint],
    staffed: Collection[str],
    typical: Mapping[tuple[str, int], float],
    hour: int,
    busy_services: Mapping[str, int] | None = None,
) -> dt.timedelta:
    """How long a customer with ``ahead`` people before them in ``service``'s queue waits.

    ``staffed``: the service points someone sits at now (when nobody does, every point
    that serves the service is assumed open: the branch is staffed without Warmline).
    ``busy_services``: for each point, how many of its services have people waiting; a
    point shares its time between them.
    """
    serving = [p for p in points if service.code in p.services]
    open_points = [p for p in serving if p.code in staffed] or serving
    rate = 0.0
    for point in open_points:
        seconds = typical.get((point.code, hour)) or typical.get((point.code, ANY_HOUR))
        seconds = seconds or service.minutes * 60.0
        share = max((busy_services or {}).get(point.code, 1), 1)
        rate += 1.0 / (seconds * share)
    if rate <= 0:
        return dt.timedelta(minutes=service.minutes * (ahead + 1))
    return dt.timedelta(seconds=(ahead + 0.5) / rate)


def wait_minutes(wait: dt.timedelta) -> int:
    """Whole minutes, rounded up to the next 5 beyond a quarter of an hour (an estimate
    that looks exact is read as a promise)."""
    minutes = max(round(wait.total_seconds() / 60), 0)
    if minutes > 15:
        minutes = -(-minutes // 5) * 5
    return minutes


def wait_words(wait: dt.timedelta) -> str:
    """ "about 10 minutes", "a few minutes", "you are next"."""
    minutes = wait_minutes(wait)
    if minutes <= 1:
        return "you are next"
    if minutes <= 4:
        return "a few minutes"
    return f"about {minutes} minutes"
