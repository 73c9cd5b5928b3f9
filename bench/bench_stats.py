"""How fast csf stats adds up a large pile, on each store.

Local: builds a library of N submissions (100,000 by default) straight into SQLite with
executemany in one transaction, reports that build time on its own, then times
``pile_stats`` (the SQL aggregates of ``LocalStore.tally``) against the baseline of the
same figures from every record read through ``Store.list`` and added up in Python (the
generic ``Store.tally``). Goal: the aggregates under 1 s at 100,000.

AWS (moto, in process): a smaller pile (5,000 by default; moto answers a query at a few
thousand items a second, so 100,000 would take minutes to load and to read), loaded with
BatchWriteItem, then ``pile_stats`` through a client that counts every call and every
item returned, beside ``list()`` reading whole items as the baseline.

Figures are printed with PASS or MISS against the goal; nothing here fails a build.

Usage: python bench/bench_stats.py [--submissions N] [--aws N] [--repeats N]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from compelling_cli.model import State, Submission
from compelling_cli.stats import DAY, pile_stats, tally_records
from compelling_cli.store.local import _COLUMNS, LocalStore, _to_row

GOAL = 1.0
NOW = 1_798_632_000  # 30 December 2026, noon UTC
YEARS = 3


def pile(count: int, seed: int = 7) -> list[Submission]:
    """A plausible slush pile: three years of arrivals, most decided."""
    rng = random.Random(seed)
    states = [State.REJECTED] * 60 + [State.UNREAD] * 20 + [State.HELD] * 8
    states += [State.ACCEPTED] * 4 + [State.WITHDRAWN] * 3 + [State.QUARANTINED] * 5
    subs = []
    for n in range(count):
        received = NOW - rng.randrange(YEARS * 365 * DAY)
        state = rng.choice(states)
        decided = None
        if state in (State.REJECTED, State.ACCEPTED, State.HELD, State.WITHDRAWN):
            decided = min(NOW, received + int(rng.expovariate(1 / (40 * DAY))))
        subs.append(
            Submission(
                id=f"b{n:09d}",
                email=f"writer{n % 5000}@example.com",
                author=f"Writer {n % 5000}",
                title=f"Story {n}",
                timestamp=received,
                state=state,
                decided_at=decided,
                word_count=rng.randrange(500, 9000),
                parts=["raw.eml", "body.txt"],
                manuscript="body.txt",
            )
        )
    return subs


def timed(work, repeats: int) -> tuple[float, Any]:
    """The median wall time of ``repeats`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench_local(count: int, repeats: int) -> None:
    subs = pile(count)
    with tempfile.TemporaryDirectory() as home, LocalStore(Path(home)) as store:
        start = time.perf_counter()
        records = (_to_row(sub) for sub in subs)
        rows = [[record[c] for c in _COLUMNS] for record in records]
        placeholders = ", ".join("?" for _ in _COLUMNS)
        with store._transaction() as db:
            db.executemany(
                f"INSERT INTO submissions ({', '.join(_COLUMNS)}) "
                f"VALUES ({placeholders})",
                rows,
            )
        built = time.perf_counter() - start

        fast, figures = timed(lambda: pile_stats(store, now=NOW), repeats)

        def baseline():
            records = (sub.to_record() for sub in store.list())
            return tally_records(records, since=None, now=NOW)

        slow, tally = timed(baseline, max(1, repeats // 2))
        same = figures.counts == {s.label: tally.counts[s] for s in State}

        since = NOW - 90 * DAY
        recent, _ = timed(lambda: pile_stats(store, now=NOW, since=since), repeats)

    print(f"local library, {count:,} submissions")
    print(f"  build (executemany, one transaction)   {built:8.3f} s")
    print(f"  stats, SQL aggregates (median of {repeats})    {fast:8.3f} s")
    print(f"  stats --since 90d                       {recent:8.3f} s")
    print(f"  baseline: read every record, add up     {slow:8.3f} s")
    print(f"  ratio baseline / aggregates             {slow / fast:8.1f} x")
    print(f"  same counts both ways: {same}")
    verdict = "PASS" if fast < GOAL else "MISS"
    print(f"  goal under {GOAL:.0f} s: {verdict}")


class Counting:
    """A boto3 client that counts its calls and the items they return."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: Counter[str] = Counter()
        self.items = 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)

        def call(**kwargs: Any) -> Any:
            self.calls[name] += 1
            answer = method(**kwargs)
            self.items += len(answer.get("Items", []))
            return answer

        return call


def bench_aws(count: int, repeats: int) -> None:
    from moto import mock_aws

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)

    from compelling_cli.aws import client
    from compelling_cli.store.aws import AwsStore, to_item

    with mock_aws():
        AwsStore("bench", "bench-parts").setup(poll=0.01)
        raw = client("dynamodb")
        start = time.perf_counter()
        subs = pile(count)
        for first in range(0, len(subs), 25):
            batch = [
                {"PutRequest": {"Item": to_item(s)}} for s in subs[first : first + 25]
            ]
            raw.batch_write_item(RequestItems={"bench": batch})
        built = time.perf_counter() - start

        counting = Counting(raw)
        store = AwsStore("bench", "bench-parts", dynamodb=counting)
        pages: list[tuple[int, int]] = []
        fast, figures = timed(
            lambda: pile_stats(store, now=NOW, progress=lambda *p: pages.append(p)),
            repeats,
        )
        stats_calls, stats_items = dict(counting.calls), counting.items // repeats

        counting.calls.clear()
        counting.items = 0
        slow, listed = timed(lambda: sum(1 for _ in store.list()), 1)
        list_calls = dict(counting.calls)

    print(f"AWS store in moto, {count:,} submissions (100,000 is minutes in moto)")
    print(f"  build (BatchWriteItem)                  {built:8.3f} s")
    print(f"  stats, projected queries (median of {repeats}) {fast:8.3f} s")
    print(
        f"    calls over {repeats} runs: {stats_calls}; items read per run: "
        f"{stats_items:,}; progress reports per run: {len(pages) // repeats}"
    )
    print(f"  baseline: list() reading whole items    {slow:8.3f} s")
    print(f"    calls: {list_calls}; items read: {listed:,}")
    print(f"  ratio baseline / stats                  {slow / fast:8.1f} x")
    print(f"  counts: {figures.counts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=100_000)
    parser.add_argument("--aws", type=int, default=5_000, help="0 skips AWS")
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args()
    bench_local(options.submissions, options.repeats)
    if options.aws:
        print()
        bench_aws(options.aws, max(1, options.repeats // 2))


if __name__ == "__main__":
    main()
