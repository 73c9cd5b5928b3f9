"""csf stats: exact figures from a library with known times, on every store."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from compelling_cli.errors import UsageError
from compelling_cli.model import State, Submission
from compelling_cli.stats import (
    DAY,
    Spread,
    parse_since,
    pile_stats,
    spread,
    week_start,
)

#: Wednesday 30 December 2026, noon UTC: the clock of every test here.
NOW = int(datetime(2026, 12, 30, 12, tzinfo=UTC).timestamp())

#: (id, received days before NOW, state, days from receipt to decision)
PILE = [
    ("rej1", 100, State.REJECTED, 10),
    ("rej2", 90, State.REJECTED, 20),
    ("rej3", 80, State.REJECTED, 30),
    ("rej4", 70, State.REJECTED, 40),  # decided exactly 30 days ago: in the pace
    ("wdr1", 65, State.WITHDRAWN, 2),
    ("acc1", 60, State.ACCEPTED, 5),
    ("unr1", 50, State.UNREAD, None),
    ("hld1", 40, State.HELD, 1),
    ("hld2", 25, State.HELD, 20),
    ("acc2", 20, State.ACCEPTED, 15),
    ("unr2", 10, State.UNREAD, None),
    ("qua1", 7, State.QUARANTINED, None),
    ("unr3", 3, State.UNREAD, None),
]
EMPTY = {
    "counts": dict.fromkeys(
        ["unread", "held", "rejected", "accepted", "withdrawn", "quarantined"], 0
    ),
    "oldest_unread_days": None,
    "received_per_week": [],
    "response_days": {"rejected": None, "accepted": None},
    "acceptance_rate": None,
    "days_to_clear": 0.0,
}


def fill(store) -> None:
    for n, (sub_id, age, state, wait) in enumerate(PILE):
        received = NOW - age * DAY
        store.add(
            Submission(
                id=sub_id,
                email=f"writer{n}@example.com",
                timestamp=received,
                state=state,
                decided_at=None if wait is None else received + wait * DAY,
            ),
            {},
        )


@pytest.fixture
def cli_store(store, monkeypatch):
    """The ``store`` fixture, and csf set to open that same store at NOW."""
    from compelling_cli.store.local import LocalStore

    if not isinstance(store, LocalStore):
        monkeypatch.setenv("CSF_BACKEND", "aws")
        monkeypatch.setenv("CSF_TABLE", store.table)
        monkeypatch.setenv("CSF_BUCKET", store.bucket)
    monkeypatch.setattr("compelling_cli.cli.stats.clock", lambda: NOW)
    return store


def test_figures_of_a_known_pile(store):
    fill(store)

    figures = pile_stats(store, now=NOW).to_json()

    assert figures["counts"] == {
        "unread": 3,
        "held": 2,
        "rejected": 4,
        "accepted": 2,
        "withdrawn": 1,
        "quarantined": 1,
    }
    assert figures["oldest_unread_days"] == 50.0
    # Rejections after 10, 20, 30, 40 days: the median is between 20 and 30; p90
    # sits at rank (4 - 1) * 0.9 = 2.7, so 30 + 0.7 * (40 - 30).
    assert figures["response_days"] == {
        "rejected": {"median": 25.0, "p90": 37.0, "max": 40.0},
        "accepted": {"median": 10.0, "p90": 14.0, "max": 15.0},
    }
    assert figures["acceptance_rate"] == 0.333
    # Three decisions in the last 30 days (rej4, hld2, acc2), three unread.
    assert figures["days_to_clear"] == 30.0
    weeks = figures["received_per_week"]
    assert weeks[0] == {"week": "2026-09-21", "count": 1}
    assert weeks[-1] == {"week": "2026-12-28", "count": 0}
    assert len(weeks) == 15
    assert sum(week["count"] for week in weeks) == len(PILE)


def test_since_narrows_every_figure_to_what_was_received(store):
    fill(store)

    since = parse_since("2026-12-01", NOW)
    figures = pile_stats(store, now=NOW, since=since).to_json()

    assert figures == {
        "counts": {
            "unread": 2,
            "held": 1,
            "rejected": 0,
            "accepted": 1,
            "withdrawn": 0,
            "quarantined": 1,
        },
        "oldest_unread_days": 10.0,
        # 1 December 2026 is a Tuesday: its week starts on Monday 30 November.
        "received_per_week": [
            {"week": "2026-11-30", "count": 1},
            {"week": "2026-12-07", "count": 1},
            {"week": "2026-12-14", "count": 1},
            {"week": "2026-12-21", "count": 2},
            {"week": "2026-12-28", "count": 0},
        ],
        "response_days": {
            "rejected": None,
            "accepted": {"median": 15.0, "p90": 15.0, "max": 15.0},
        },
        "acceptance_rate": 1.0,
        "days_to_clear": 30.0,
    }


def test_an_empty_library_has_zeros_and_nulls(store):
    assert pile_stats(store, now=NOW).to_json() == EMPTY


def test_unread_without_recent_decisions_never_clears(store):
    store.add(Submission(id="only", email="a@example.com", timestamp=NOW - DAY), {})

    figures = pile_stats(store, now=NOW).to_json()

    assert figures["days_to_clear"] is None
    assert figures["oldest_unread_days"] == 1.0
    assert figures["received_per_week"] == [{"week": "2026-12-28", "count": 1}]


def test_stats_json_prints_the_one_object(csf, cli_store):
    fill(cli_store)

    result = csf("stats", "--json", "--since", "2026-12-01")

    assert result.exit_code == 0, result.output
    assert (
        json.loads(result.stdout)
        == pile_stats(
            cli_store, now=NOW, since=parse_since("2026-12-01", NOW)
        ).to_json()
    )


def test_stats_json_of_an_empty_library(csf, cli_store):
    result = csf("stats", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == EMPTY


def test_stats_draws_the_figures_and_the_weeks(csf, cli_store):
    fill(cli_store)

    result = csf("stats", "--since", "2026-12-01")

    assert result.exit_code == 0, result.output
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    assert lines[:6] == [
        "unread       2",
        "held         1",
        "rejected     0",
        "accepted     1",
        "withdrawn    0",
        "quarantined  1",
    ]
    assert "oldest unread    10 days" in lines
    assert "days to reject   none yet" in lines
    assert "days to accept   median 15  p90 15  max 15" in lines
    assert "acceptance rate  100.0%" in lines
    assert "queue clears in  30 days" in lines
    assert lines[-6:] == [
        "received per week",
        "2026-11-30 1 " + "█" * 20,
        "2026-12-07 1 " + "█" * 20,
        "2026-12-14 1 " + "█" * 20,
        "2026-12-21 2 " + "█" * 40,
        "2026-12-28 0",
    ]


def test_stats_of_an_empty_library_says_so(csf, cli_store):
    result = csf("stats")

    assert result.exit_code == 0, result.output
    assert "acceptance rate  none decided" in result.stdout
    assert "oldest unread    none" in result.stdout
    assert "received per week" not in result.stdout


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", NOW - 90 * DAY),
        ("12w", NOW - 84 * DAY),
        ("0d", NOW),
        ("6m", int(datetime(2026, 6, 30, 12, tzinfo=UTC).timestamp())),
        ("2026-01-31", int(datetime(2026, 1, 31, tzinfo=UTC).timestamp())),
        ("31 January 2026", int(datetime(2026, 1, 31, tzinfo=UTC).timestamp())),
        (
            "2026-01-31T10:00+02:00",
            int(datetime(2026, 1, 31, 8, tzinfo=UTC).timestamp()),
        ),
    ],
)
def test_since_takes_a_date_or_a_span(text, expected):
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "12", "-5d", "5y", "", "90 days ago"])
def test_since_that_is_neither_is_a_usage_error(csf, text):
    result = csf("stats", "--since", text)

    assert result.exit_code == 2
    assert result.stderr == (
        f"csf: error: cannot read --since {text!r} as a date or a span "
        "(give a date such as 2026-01-31, or a span such as 90d, 12w or 6m)\n"
    )


def test_since_reaching_before_the_calendar_is_a_usage_error():
    with pytest.raises(UsageError, match="reaches back before the year 1"):
        parse_since("99999999m", NOW)


def test_percentiles_interpolate_between_the_nearest_ranks():
    values = dict(enumerate(range(1, 11)))
    assert spread(10, values) == Spread(median=5.5, p90=9.1, max=10)
    assert spread(1, {0: 7}) == Spread(median=7, p90=7, max=7)
    assert spread(0, {}) is None


def test_weeks_start_on_monday_in_utc():
    monday = int(datetime(2026, 12, 28, tzinfo=UTC).timestamp())
    assert week_start(monday) == monday
    assert week_start(monday - 1) == monday - 7 * DAY
    assert week_start(monday + 7 * DAY - 1) == monday


class RecordingDynamoDB:
    """Answers Query with pages of projected items and remembers every call."""

    def __init__(self, pages_per_state: int) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.pages_per_state = pages_per_state

    def query(self, **request):
        self.calls.append(("query", request))
        state = request["ExpressionAttributeValues"][":state"]["N"]
        page = int(request.get("ExclusiveStartKey", {}).get("page", 0))
        item = {"evaluation_state": {"N": state}, "timestamp": {"N": str(NOW - DAY)}}
        answer = {"Items": [item, item]}
        if page + 1 < self.pages_per_state:
            answer["LastEvaluatedKey"] = {"page": page + 1}
        return answer

    def __getattr__(self, name):
        raise AssertionError(f"stats must not call {name}")


def test_aws_stats_query_the_index_per_state_with_a_projection():
    from compelling_cli.store.aws import INDEX, AwsStore

    dynamodb = RecordingDynamoDB(pages_per_state=2)
    seen = []

    store = AwsStore("csf_test", dynamodb=dynamodb)
    figures = pile_stats(
        store, now=NOW, since=NOW - 7 * DAY, progress=lambda *a: seen.append(a)
    )

    assert figures.counts == dict.fromkeys(figures.counts, 4)
    assert len(dynamodb.calls) == 2 * len(State)
    for name, request in dynamodb.calls:
        assert name == "query"
        assert request["IndexName"] == INDEX
        assert request["ProjectionExpression"] == "evaluation_state, #ts, decided_at"
        assert request["KeyConditionExpression"] == (
            "evaluation_state = :state AND #ts >= :since"
        )
        assert request["ExpressionAttributeValues"][":since"] == {
            "N": str(NOW - 7 * DAY)
        }
    assert seen[0] == (1, 2)
    assert seen[-1] == (12, 24)


def test_aws_stats_report_no_progress_when_each_state_is_one_page():
    from compelling_cli.store.aws import AwsStore

    seen = []
    store = AwsStore("csf_test", dynamodb=RecordingDynamoDB(pages_per_state=1))
    pile_stats(store, now=NOW, progress=lambda *a: seen.append(a))

    assert seen == []


def writers(store) -> None:
    """Four stories by three writers, of known lengths and states."""
    rows = [
        ("w1", "Zoë Ångström", "zoe@example.com", 3000, State.HELD, 40),
        ("w2", "Bo Newer", "bo@example.net", 1200, State.UNREAD, 30),
        ("w3", "ZOË ÅNGSTRÖM", "zoe@example.com", 800, State.UNREAD, 20),
        ("w4", "Cy Short", "cy@example.org", 5000, State.REJECTED, 10),
    ]
    for sub_id, author, email, words, state, age in rows:
        store.add(
            Submission(
                id=sub_id,
                email=email,
                author=author,
                word_count=words,
                state=state,
                timestamp=NOW - age * DAY,
            ),
            {},
        )


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ({}, ["w1", "w2", "w3", "w4"]),
        ({"author": "zoë ångström"}, ["w1", "w3"]),
        ({"author": "EXAMPLE.NET"}, ["w2"]),
        ({"since": NOW - 25 * DAY}, ["w3", "w4"]),
        ({"sort": "words"}, ["w3", "w2", "w1", "w4"]),
        ({"sort": "state"}, ["w2", "w3", "w1", "w4"]),
        ({"sort": "words", "limit": 2}, ["w3", "w2"]),
        ({"limit": 0}, []),
    ],
)
def test_list_filters_orders_and_limits(store, query, ids):
    writers(store)

    assert [sub.id for sub in store.list(**query)] == ids


def test_list_keeps_the_state_filter_alongside_the_others(store):
    writers(store)

    found = store.list(State.UNREAD, author="zoe", sort="words")

    assert [sub.id for sub in found] == ["w3"]


def test_list_command_takes_the_new_options(csf, cli_store):
    writers(cli_store)

    result = csf(
        "list", "--author", "ZOE@", "--sort", "words", "--limit", "1", "--json"
    )

    assert result.exit_code == 0, result.output
    assert [sub["id"] for sub in json.loads(result.stdout)] == ["w3"]


def test_list_since_a_span_and_nothing_matching(csf, cli_store):
    writers(cli_store)

    assert csf("list", "--since", "2d").stdout == "No submissions match.\n"


def test_list_with_an_unknown_sort_is_a_usage_error(csf):
    result = csf("list", "--sort", "title")

    assert result.exit_code == 2
    assert result.stderr == (
        "csf: error: unknown sort 'title' (use one of: received, words, state)\n"
    )
