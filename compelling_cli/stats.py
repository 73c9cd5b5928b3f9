"""The state of the pile in figures: counts, ages, weekly arrivals, response times.

Each store adds up its records in its own way (SQL aggregates locally, a projected
query per state on AWS) into a ``Tally``; ``pile_stats`` turns a tally into the
figures ``csf stats`` shows. Medians and 90th percentiles interpolate linearly
between the two nearest ranks (numpy's default, and the everyday median): the
quantile q of n sorted values v[0..n-1] sits at position (n - 1) * q.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .model import State

if TYPE_CHECKING:
    from .store import Store

DAY = 86_400
WEEK = 7 * DAY
#: The decision pace is measured over this many days before now.
PACE_DAYS = 30
#: Epoch seconds of Monday 1969-12-29 00:00 UTC, the first week start before 1970.
FIRST_MONDAY = -3 * DAY
#: The states that take a story out of the unread queue by the editor's hand.
DECISIONS = (State.HELD, State.REJECTED, State.ACCEPTED)
QUANTILES = {"median": 0.5, "p90": 0.9}

#: Called after each page a store reads: (pages so far, records so far).
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Spread:
    """Response times of one kind of decision, in seconds."""

    median: float
    p90: float
    max: float


@dataclass
class Tally:
    """What a store adds up for the figures, over submissions received since then."""

    counts: dict[State, int] = field(default_factory=dict)
    oldest_unread: int | None = None
    #: Received per week: the week's Monday (epoch seconds, UTC) to a count.
    weeks: dict[int, int] = field(default_factory=dict)
    #: Decided minus received, for REJECTED and ACCEPTED; None where none are decided.
    response: dict[State, Spread | None] = field(default_factory=dict)
    #: Held, rejected or accepted within PACE_DAYS before now.
    decided_recently: int = 0


@dataclass(frozen=True)
class PileStats:
    """The figures of ``csf stats``, as its ``--json`` prints them."""

    counts: dict[str, int]
    oldest_unread_days: float | None
    received_per_week: list[dict[str, Any]]
    response_days: dict[str, dict[str, float] | None]
    acceptance_rate: float | None
    days_to_clear: float | None
    since: int | None
    now: int

    def to_json(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "oldest_unread_days": self.oldest_unread_days,
            "received_per_week": self.received_per_week,
            "response_days": self.response_days,
            "acceptance_rate": self.acceptance_rate,
            "days_to_clear": self.days_to_clear,
        }


def week_start(epoch: int) -> int:
    """The Monday 00:00 UTC that starts the week holding ``epoch``."""
    return (epoch - FIRST_MONDAY) // WEEK * WEEK + FIRST_MONDAY


def quantile_ranks(count: int, q: float) -> tuple[int, int, float]:
    """The ranks (0-based) quantile ``q`` lies between, and the upper one's weight."""
    position = (count - 1) * q
    lower = math.floor(position)
    return lower, min(lower + 1, count - 1), position - lower


def ranks_needed(count: int) -> set[int]:
    """Every rank the median, p90 and maximum of ``count`` values read."""
    needed = {count - 1}
    for q in QUANTILES.values():
        lower, upper, _ = quantile_ranks(count, q)
        needed |= {lower, upper}
    return needed


def spread(count: int, value_at: Mapping[int, float]) -> Spread | None:
    """Median, p90 and maximum from the values at ``ranks_needed(count)``."""
    if count == 0:
        return None

    def quantile(q: float) -> float:
        lower, upper, weight = quantile_ranks(count, q)
        return value_at[lower] + (value_at[upper] - value_at[lower]) * weight

    return Spread(quantile(0.5), quantile(0.9), value_at[count - 1])


def tally_records(
    records: Iterable[Mapping[str, Any]], *, since: int | None, now: int
) -> Tally:
    """A tally from records holding ``evaluation_state``, ``timestamp``, ``decided_at``.

    For stores that cannot aggregate themselves; this reads every record once.
    """
    tally = Tally(counts=dict.fromkeys(State, 0))
    waits: dict[State, list[int]] = {State.REJECTED: [], State.ACCEPTED: []}
    recent = now - PACE_DAYS * DAY
    for record in records:
        received = int(record["timestamp"])
        if since is not None and received < since:
            continue
        state = State(int(record["evaluation_state"]))
        decided = record.get("decided_at")
        tally.counts[state] += 1
        week = week_start(received)
        tally.weeks[week] = tally.weeks.get(week, 0) + 1
        if state is State.UNREAD and (
            tally.oldest_unread is None or received < tally.oldest_unread
        ):
            tally.oldest_unread = received
        if decided is None:
            continue
        if state in waits:
            waits[state].append(int(decided) - received)
        if state in DECISIONS and recent <= int(decided) <= now:
            tally.decided_recently += 1
    for state, values in waits.items():
        values.sort()
        tally.response[state] = spread(len(values), dict(enumerate(values)))
    return tally


def pile_stats(
    store: Store,
    *,
    now: int,
    since: int | None = None,
    progress: Progress | None = None,
) -> PileStats:
    """The figures for submissions received since ``since`` (all when None)."""
    tally = store.tally(since=since, now=now, progress=progress)
    return figures(tally, since=since, now=now)


def figures(tally: Tally, *, since: int | None, now: int) -> PileStats:
    """The figures a tally adds up to."""
    counts = {state.label: tally.counts.get(state, 0) for state in State}

    oldest = None
    if tally.oldest_unread is not None:
        oldest = _days(max(0, now - tally.oldest_unread))

    response: dict[str, dict[str, float] | None] = {}
    for state in (State.REJECTED, State.ACCEPTED):
        found = tally.response.get(state)
        response[state.label] = (
            None
            if found is None
            else {
                "median": _days(found.median),
                "p90": _days(found.p90),
                "max": _days(found.max),
            }
        )

    decided = counts["accepted"] + counts["rejected"]
    rate = round(counts["accepted"] / decided, 3) if decided else None

    unread = counts["unread"]
    if unread == 0:
        to_clear: float | None = 0.0
    elif tally.decided_recently == 0:
        to_clear = None
    else:
        to_clear = round(unread * PACE_DAYS / tally.decided_recently, 1)

    return PileStats(
        counts=counts,
        oldest_unread_days=oldest,
        received_per_week=_every_week(tally.weeks, since=since, now=now),
        response_days=response,
        acceptance_rate=rate,
        days_to_clear=to_clear,
        since=since,
        now=now,
    )


def _days(seconds: float) -> float:
    return round(seconds / DAY, 1)


def _every_week(weeks: Mapping[int, int], *, since: int | None, now: int) -> list:
    """Each week of the period, those with nothing received included, oldest first."""
    if not weeks and since is None:
        return []
    first = week_start(since) if since is not None else min(weeks)
    last = max(week_start(now), *weeks) if weeks else week_start(now)
    return [
        {"week": _date(week), "count": weeks.get(week, 0)}
        for week in range(first, last + 1, WEEK)
    ]


def _date(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


_SPAN = re.compile(r"(\d+)\s*([dwm])", re.IGNORECASE)


def parse_since(text: str, now: int) -> int:
    """Epoch seconds for ``--since``: a date (``2026-01-31``) or a span (``90d``).

    Spans count back from ``now``: ``d`` days, ``w`` weeks, ``m`` months (calendar
    months, so ``6m`` on 31 August is 28 or 29 February). A date without a zone is
    midnight UTC.
    """
    from dateutil.relativedelta import relativedelta

    text = text.strip()
    problem = UsageError(
        f"cannot read --since {text!r} as a date or a span",
        "give a date such as 2026-01-31, or a span such as 90d, 12w or 6m",
    )
    span = _SPAN.fullmatch(text)
    if not span:
        return _parse_date(text, problem)
    number, unit = int(span.group(1)), span.group(2).lower()
    moment = datetime.fromtimestamp(now, UTC)
    try:
        if unit == "m":
            return int((moment - relativedelta(months=number)).timestamp())
        days = number * (7 if unit == "w" else 1)
        return int((moment - timedelta(days=days)).timestamp())
    except (OverflowError, ValueError):
        raise UsageError(
            f"--since {text!r} reaches back before the year 1", "give a shorter span"
        ) from None


def _parse_date(text: str, problem: UsageError) -> int:
    from dateutil import parser

    if not text or text[0] in "+-" or (text.isdigit() and len(text) < 6):
        raise problem
    try:
        parsed = parser.parse(text, default=datetime(2000, 1, 1))
    except (ValueError, OverflowError):
        raise problem from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())
