"""The store interface. The same tests run against every store the ``store`` fixture
yields; the local library's own behaviour is tested in test_store_local.py.
"""

from __future__ import annotations

import pytest

from compelling_cli.errors import ConflictError, NotFound
from compelling_cli.model import Note, State, Submission
from compelling_cli.queue import LetterStatus, QueuedLetter, letter_id


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


# The letter queue, which every store keeps for the decisions' letters.


def letter(n: int, *, due: int = 100, by: str = "ada") -> QueuedLetter:
    return QueuedLetter(
        id=letter_id(f"id{n:08d}", 50 + n),
        submission=f"id{n:08d}",
        name="form",
        recipient=f"author{n}@example.com",
        subject=f"Re: Story {n}",
        message=f"Subject: Re: Story {n}\r\n\r\nNo, thank you.\r\n".encode(),
        due=due,
        created=50 + n,
        decision=State.REJECTED,
        previous=State.UNREAD,
        by=by,
    )


def test_a_queued_letter_round_trips_and_its_id_is_taken(store):
    store.queue_letter(letter(1))
    assert store.get_letter("id00000001.51") == letter(1)
    with pytest.raises(ConflictError, match="is queued already"):
        store.queue_letter(letter(1))
    with pytest.raises(NotFound, match=r"no letter has the id 'id00000009\.1'"):
        store.get_letter("id00000009.1")


def test_due_letters_are_the_queued_ones_whose_time_has_come(store):
    store.queue_letter(letter(1, due=300))
    store.queue_letter(letter(2, due=100))
    store.queue_letter(letter(3, due=200))
    store.queue_letter(letter(4, due=900))
    assert [x.id for x in store.due_letters(300)] == [
        "id00000002.52",
        "id00000003.53",
        "id00000001.51",
    ]
    store.claim_letter("id00000003.53", at=301)
    assert [x.id for x in store.due_letters(1000)] == [
        "id00000002.52",
        "id00000001.51",
        "id00000004.54",
    ]


def test_a_letter_is_claimed_once_then_sent(store):
    store.queue_letter(letter(1))
    claimed = store.claim_letter("id00000001.51", at=120)
    assert (claimed.status, claimed.claimed_at) == (LetterStatus.SENDING, 120)
    assert store.claim_letter("id00000001.51", at=121) is None
    assert store.cancel_letter("id00000001.51") is False
    store.mark_letter_sent("id00000001.51", at=122)
    sent = store.get_letter("id00000001.51")
    assert (sent.status, sent.sent_at) == (LetterStatus.SENT, 122)
    assert store.claim_letter("id00000001.51", at=123) is None
    assert [x.id for x in store.list_letters(LetterStatus.SENT)] == ["id00000001.51"]
    with pytest.raises(ConflictError, match="was not being sent"):
        store.mark_letter_sent("id00000001.51", at=124)


def test_a_failed_send_puts_the_letter_back_with_the_reason(store):
    store.queue_letter(letter(1))
    store.claim_letter("id00000001.51", at=120)
    store.release_letter("id00000001.51", "the server said no")
    back = store.get_letter("id00000001.51")
    assert (back.status, back.attempts, back.error) == (
        LetterStatus.QUEUED,
        1,
        "the server said no",
    )
    assert [x.id for x in store.due_letters(120)] == ["id00000001.51"]


def test_only_a_queued_letter_can_be_cancelled(store):
    store.queue_letter(letter(1))
    assert store.cancel_letter("id00000001.51") is True
    assert store.cancel_letter("id00000001.51") is False
    assert store.get_letter("id00000001.51").status is LetterStatus.CANCELLED
    assert store.due_letters(10_000) == []
    assert store.claim_letter("id00000001.51", at=1) is None


def test_letters_list_by_status_in_either_order(store):
    for n, due in ((1, 300), (2, 100), (3, 200)):
        store.queue_letter(letter(n, due=due))
    queued = store.list_letters(LetterStatus.QUEUED)
    assert [x.due for x in queued] == [100, 200, 300]
    newest = store.list_letters(LetterStatus.QUEUED, newest_first=True, limit=2)
    assert [x.due for x in newest] == [300, 200]
    assert store.list_letters(LetterStatus.CANCELLED) == []


def test_by_email_finds_every_submission_of_one_author_ignoring_case(store):
    for n in (1, 2, 3):
        sub = submission(n)
        sub.email = "Jane@Example.com" if n != 2 else "other@example.com"
        store.add(sub, parts(n))
    assert [s.id for s in store.by_email("jane@example.COM")] == [
        "id00000001",
        "id00000003",
    ]
    assert store.by_email("nobody@example.com") == []
