"""The store interface. The same tests run against every store the ``store`` fixture
yields; the local library's own behaviour is tested in test_store_local.py.
"""

from __future__ import annotations

import pytest

from compelling_cli.errors import ConflictError, NotFound
from compelling_cli.model import Note, State, Submission


def submission(n: int, *, state: State = State.UNREAD, timestamp: int | None = None):
    return Submission(
        id=f"id{n:08d}",
        email=f"author{n}@example.com",
        author=f"Author {n}",
        title=f"Story {n}",
        timestamp=1_700_000_000 + n * 60 if timestamp is None else timestamp,
        state=state,
        parts=["raw.eml", "body.txt"],
        manuscript="body.txt",
    )


def parts(n: int) -> dict[str, bytes]:
    return {"raw.eml": f"From: a{n}@example.com\r\n\r\nx".encode(), "body.txt": b"x"}


def test_add_then_get_round_trips_the_record(store):
    sub = submission(1)
    sub.notes = [Note(at=5, text="sharp opening")]
    assert store.add(sub, parts(1)) is True
    assert store.get(sub.id) == sub
    assert store.read_part(sub.id, "raw.eml") == parts(1)["raw.eml"]


def test_adding_the_same_submission_twice_keeps_one(store):
    assert store.add(submission(1), parts(1)) is True
    assert store.add(submission(1), parts(1)) is False
    assert [s.id for s in store.list()] == ["id00000001"]


def test_unknown_id_is_not_found(store):
    with pytest.raises(NotFound, match="no submission has the id 'nope'"):
        store.get("nope")


def test_next_unread_is_the_oldest_unread(store):
    assert store.next_unread() is None
    store.add(submission(3), parts(3))
    store.add(submission(1, state=State.HELD), parts(1))
    store.add(submission(2), parts(2))
    store.add(submission(4, timestamp=1), parts(4))
    store.transition("id00000004", State.UNREAD, State.REJECTED, at=10)
    assert store.next_unread().id == "id00000002"


def test_list_is_oldest_first_and_filters_by_state(store):
    for n in (3, 1, 2):
        store.add(submission(n, state=State.HELD if n == 2 else State.UNREAD), parts(n))
    assert [s.id for s in store.list()] == ["id00000001", "id00000002", "id00000003"]
    assert [s.id for s in store.list(State.HELD)] == ["id00000002"]


def test_transition_is_conditional_on_the_state_read(store):
    store.add(submission(1), parts(1))
    decided = store.transition("id00000001", State.UNREAD, State.ACCEPTED, at=99)
    assert (decided.state, decided.decided_at) == (State.ACCEPTED, 99)
    with pytest.raises(ConflictError, match="is accepted now, not unread"):
        store.transition("id00000001", State.UNREAD, State.REJECTED, at=100)
    assert store.get("id00000001").state is State.ACCEPTED


def test_transition_of_unknown_id_is_not_found(store):
    with pytest.raises(NotFound):
        store.transition("missing", State.UNREAD, State.REJECTED, at=1)


def test_notes_and_sent_mail_accumulate(store):
    store.add(submission(1), parts(1))
    store.add_note("id00000001", Note(at=1, text="first"))
    sub = store.add_note("id00000001", Note(at=2, text="second"))
    assert [n.text for n in sub.notes] == ["first", "second"]
    store.mark_sent("id00000001", "confirmation")
    store.mark_sent("id00000001", "confirmation")
    store.mark_sent("id00000001", "notification")
    assert store.get("id00000001").sent == ["confirmation", "notification"]


def test_missing_part_is_not_found(store):
    store.add(submission(1), parts(1))
    with pytest.raises(NotFound):
        store.read_part("id00000001", "attachments/none.docx")
