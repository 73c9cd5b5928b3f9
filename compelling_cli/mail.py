"""Raw message bytes in, a submission and its parts out.

Nothing here raises on a malformed message: whatever cannot be understood is recorded
as a quarantined submission with the reason, and the raw bytes are kept as a part.
"""

from __future__ import annotations

import binascii
import contextlib
import functools
import hashlib
import mimetypes
import re
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC
from email.header import decode_header, make_header
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage, Message
from email.parser import BytesFeedParser
from email.policy import EmailPolicy
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import PurePath

from . import manuscript
from .errors import ExtractionError
from .model import State, Submission, id_from_digest

RAW_PART = "raw.eml"
BODY_PART = "body.txt"
HTML_PART = "body.html"
ATTACHMENTS = "attachments/"

_CHUNK = 1 << 16
_HEAD = 1 << 16  # what a quarantined message's sender is looked for in


class _Policy(EmailPolicy):
    """``policy.default``, remembering each header it has parsed.

    Finding a message's body and attachments reads each part's Content-Type a dozen
    times, and the header registry parses it afresh every time; most of ingest's time
    went there. Parsed headers are immutable, so sharing them is safe.
    """

    def header_fetch_parse(self, name: str, value: str):  # type: ignore[override]
        if hasattr(value, "name"):
            return value
        return _parsed_header(self, name.lower(), value)


@functools.lru_cache(maxsize=4096)
def _parsed_header(policy: EmailPolicy, name: str, value: str):
    return EmailPolicy.header_fetch_parse(policy, name, value)


class _Registry(HeaderRegistry):
    """The standard header registry, making each header's class once: it otherwise
    builds a new class for every header it parses."""

    @functools.cache  # noqa: B019 - one registry lives as long as the process
    def __getitem__(self, name: str) -> type:
        return super().__getitem__(name)


#: The policy csf reads and writes mail with: ``policy.default``, faster.
POLICY = _Policy(header_factory=_Registry())
_HEADER_LINE = re.compile(rb"^(From |[!-9;-~]+:)")
_ADDRESS = re.compile(
    r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*\.)+[A-Za-z0-9-]+$"
)
_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|sv)\s*:\s*)*"
    r"(?:(?:new\s+|short\s+|fiction\s+|story\s+)*(?:submission|sub|story|fiction)"
    r"\s*[:\-\u2013\u2014|]+\s*)?",
    re.IGNORECASE,
)
_ONLY_PREFIX = re.compile(
    r"^(?:(?:new|short|fiction|story)\s+)*(?:submission|sub|story)s?$", re.IGNORECASE
)
_TRAILING_WORDS = re.compile(
    r"\s*[-\u2013\u2014,:;|/]?\s*(?:about\s+|approx\.?\s+|~\s*)?[\d,.]+\s*k?\s*words?\s*$",
    re.IGNORECASE,
)
_TRAILING_NOTE = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]\s*$")
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)
_MAX_NAME_BYTES = 150


@dataclass
class ParsedMessage:
    """A submission ready to store, with the bytes of each of its parts."""

    submission: Submission
    parts: dict[str, bytes] = field(default_factory=dict)


def looks_like_message(raw: bytes) -> bool:
    """Whether ``raw`` starts like a mail message (a header line or an mbox From_)."""
    head = raw[:4096]
    if b"\x00" in head:
        return False
    first = head.lstrip(b"\r\n").split(b"\n", 1)[0]
    return bool(_HEADER_LINE.match(first))


def parse_message(raw: bytes, *, now: float | None = None) -> ParsedMessage:
    """The submission in ``raw``; quarantined, with the reason, if unreadable."""
    view = memoryview(raw)
    chunks = (bytes(view[i : i + _CHUNK]) for i in range(0, len(raw), _CHUNK))
    parsed = parse_stream(chunks, now=now)
    parsed.parts = {RAW_PART: raw, **parsed.parts}
    return parsed


def parse_stream(chunks: Iterable[bytes], *, now: float | None = None) -> ParsedMessage:
    """The submission in a message read chunk by chunk, never held whole.

    Its parts are all but ``raw.eml``, which the caller has (the Lambda copies it
    inside S3); the submission lists it among its parts all the same.
    """
    now = time.time() if now is None else now
    digest = hashlib.sha256()
    parser = BytesFeedParser(policy=POLICY)
    head = b""
    failure: Exception | None = None
    for chunk in chunks:
        digest.update(chunk)
        if len(head) < _HEAD:
            head += chunk[: _HEAD - len(head)]
        if failure is None:
            try:
                parser.feed(chunk)
            except Exception as exc:  # keep reading: the id needs every byte
                failure = exc
    sub_id = id_from_digest(digest.digest())

    try:
        if failure is not None:
            raise failure
        return _parse(parser.close(), sub_id, now)
    except Exception as exc:  # a stranger's bytes may break the parser in any way
        reason = f"the message could not be parsed: {type(exc).__name__}: {exc}"
        submission = Submission(
            id=sub_id,
            email=_fallback_sender(head),
            timestamp=int(now),
            state=State.QUARANTINED,
            reason=reason[:500],
            parts=[RAW_PART],
        )
        return ParsedMessage(submission, {})


def _parse(msg: EmailMessage, sub_id: str, now: float) -> ParsedMessage:
    parts: dict[str, bytes] = {}

    email, author = author_of(msg)
    subject = " ".join(_header(msg, "Subject").split())
    submission = Submission(
        id=sub_id,
        email=email,
        author=author,
        subject=subject,
        message_id=_header(msg, "Message-ID").strip(),
        timestamp=int(received_time(msg, now)),
    )

    text_part = _body_part(msg, "plain")
    html_part = _body_part(msg, "html")
    html = _text_of(html_part) if html_part is not None else None
    if text_part is not None:
        body = _text_of(text_part)
    elif html is not None:
        body = _html_to_text(html)
    else:
        body = ""
    parts[BODY_PART] = body.encode("utf-8")
    if html is not None:
        parts[HTML_PART] = html.encode("utf-8")

    attachments = _attachments(msg, skip={id(text_part), id(html_part)})
    parts.update(attachments)
    submission.parts = [RAW_PART, *parts]
    submission.manuscript = _choose_manuscript(attachments, html is not None)

    story = _extract(submission.manuscript, parts)
    if story is not None:
        submission.word_count = story.word_count
        if not submission.author and story.byline:
            submission.author = story.byline  # a From with an address alone
    submission.title = choose_title(
        title_from(subject, author), story, submission.manuscript
    )
    _classify(msg, submission)
    return ParsedMessage(submission, parts)


def _classify(msg: EmailMessage, submission: Submission) -> None:
    """Quarantine what is not a story from a person, saying why."""
    automatic = automatic_reason(msg)
    verdict = _ses_verdict(msg)
    if verdict:
        submission.state, submission.reason = State.QUARANTINED, verdict
    elif not submission.email:
        submission.state = State.QUARANTINED
        submission.reason = "the message has no usable sender address"
    elif automatic:
        submission.state = State.QUARANTINED
        submission.reason = f"automatic mail ({automatic})"
    submission.automatic = automatic


def automatic_reason(msg: Message) -> str | None:
    """Why ``msg`` is a bounce or automatic mail that must get no reply (RFC 3834)."""
    return_path = _header(msg, "Return-Path").strip()
    if "Return-Path" in msg and return_path in {"", "<>"}:
        return "empty Return-Path"
    sender = _header(msg, "From").lower()
    for _name, address in getaddresses([sender]):
        local = address.split("@", 1)[0]
        if local in {"mailer-daemon", "postmaster"}:
            return f"sent by {local}"
    auto_submitted = _header(msg, "Auto-Submitted").strip().lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = _header(msg, "Precedence").strip().lower()
    if precedence in {"bulk", "junk", "list"}:
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "List-Id"):
        if name in msg:
            return f"{name} header"
    return None


def _ses_verdict(msg: Message) -> str | None:
    for name, what in (
        ("X-SES-Virus-Verdict", "virus"),
        ("X-SES-Spam-Verdict", "spam"),
    ):
        if _header(msg, name).strip().upper() == "FAIL":
            return f"SES {what} verdict FAIL"
    return None


def author_of(msg: Message) -> tuple[str, str]:
    """The author's address and name: Reply-To where it differs and looks right."""
    from_name, from_addr = _first_address(msg, "From")
    reply_name, reply_addr = _first_address(msg, "Reply-To")
    if reply_addr and reply_addr.lower() != from_addr.lower():
        return reply_addr, reply_name or from_name
    return from_addr, from_name


def _first_address(msg: Message, name: str) -> tuple[str, str]:
    try:
        header = msg[name]
        addresses: tuple[Address, ...] = getattr(header, "addresses", ())
        pairs = [(a.display_name, a.addr_spec) for a in addresses]
    except Exception:  # the header parser may fail on hostile input; fall back
        pairs = []
    if not pairs:
        pairs = getaddresses([_header(msg, name)])
    for display, address in pairs:
        address = address.strip().strip("<>")
        if _ADDRESS.match(address):
            return " ".join(decode_words(display).split()), address
    return "", ""


def received_time(msg: Message, now: float) -> float:
    """The newest ``Received`` date, else ``Date``, else ``now`` (epoch seconds)."""
    candidates = [value.rpartition(";")[2] for value in _headers(msg, "Received")[:1]]
    candidates.append(_header(msg, "Date"))
    for text in candidates:
        moment = _parse_date(text)
        if moment is not None and 0 < moment <= now + 86400:
            return moment
    return now


def _parse_date(text: str) -> float | None:
    text = re.sub(r"\([^)]*\)", " ", text).strip()
    if not text:
        return None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def title_from(subject: str, author: str = "") -> str:
    """The story's title as a subject line usually carries it."""
    title = _SUBJECT_PREFIX.sub("", subject, count=1)
    title = _TRAILING_WORDS.sub("", _TRAILING_NOTE.sub("", title))
    title = _TRAILING_NOTE.sub("", title)
    for separator in (" by ", " - ", " \u2013 ", " \u2014 ", " | ", ", "):
        head, sep, tail = title.rpartition(separator)
        if sep and head and _same_person(tail, author):
            title = head
            break
    title = title.strip(" \"'\u201c\u201d\u2018\u2019-\u2013\u2014:").strip()
    return "" if _ONLY_PREFIX.match(title) else title


def choose_title(
    from_subject: str, story: manuscript.Manuscript | None, part: str | None
) -> str:
    """The title: the subject's, trimmed to the manuscript's own where the subject
    holds it among other words; else the manuscript's, else the file's name."""
    own = story.title if story is not None else None
    if from_subject and own:
        start = from_subject.lower().find(own.lower())
        if start >= 0 and len(own.lower()) == len(own):
            return from_subject[start : start + len(own)]
    return from_subject or _fallback_title(story, part)


def _same_person(text: str, author: str) -> bool:
    words = {w.lower() for w in re.findall(r"\w+", text)}
    return bool(words) and bool(words & {w.lower() for w in re.findall(r"\w+", author)})


def _fallback_title(story: manuscript.Manuscript | None, part: str | None) -> str:
    if story is not None and story.title:
        return story.title
    if part and part.startswith(ATTACHMENTS):
        stem = PurePath(part).stem
        return " ".join(re.split(r"[_\s]+", stem)).strip() or "Untitled"
    return "Untitled"


def _body_part(msg: EmailMessage, kind: str) -> EmailMessage | None:
    try:
        part = msg.get_body(preferencelist=(kind,))
    except Exception:
        return None
    if part is None or part.get_content_disposition() == "attachment":
        return None
    return part


def _text_of(part: Message) -> str:
    try:
        content = part.get_content()
    except Exception:  # unknown charset, broken transfer encoding
        content = None
    if not isinstance(content, str):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    return content.replace("\r\n", "\n")


def _html_to_text(html: str) -> str:
    try:
        return manuscript.extract(html.encode("utf-8"), "body.html").text
    except ExtractionError:
        return re.sub(r"<[^>]*>", " ", html)


def _attachments(msg: EmailMessage, skip: set[int]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for part in msg.walk():
        if part.is_multipart() or id(part) in skip:
            continue
        filename = _filename(part)
        if filename is None and part.get_content_disposition() != "attachment":
            continue
        fallback = f"attachment-{len(found) + 1}" + (
            mimetypes.guess_extension(part.get_content_type()) or ".bin"
        )
        name = _unique(safe_filename(filename or "", fallback), found)
        found[ATTACHMENTS + name] = _decoded(part)
        # The encoded text is no longer needed; dropping it keeps a message with
        # large attachments from being held twice, encoded and decoded.
        part.set_payload("")
    return found


def _decoded(part: Message) -> bytes:
    """A part's content as bytes.

    Base64, the usual case, is decoded straight from the parsed text: the standard
    library's ``get_payload(decode=True)`` copies it to bytes and into a list of
    lines first, four times the attachment's size at its peak.
    """
    payload = part.get_payload()
    if (
        isinstance(payload, str)
        and payload.isascii()
        and part.get("Content-Transfer-Encoding", "").strip().lower() == "base64"
    ):
        with contextlib.suppress(binascii.Error, ValueError):
            return binascii.a2b_base64(payload)
    return part.get_payload(decode=True) or b""


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return None
    return decode_words(name) if name and "=?" in name else name


def decode_words(text: str) -> str:
    """``text`` with RFC 2047 encoded words decoded; as it was if they are broken."""
    with contextlib.suppress(Exception):
        return str(make_header(decode_header(text)))
    return text


def safe_filename(name: str, fallback: str = "attachment.bin") -> str:
    """``name`` reduced to a single, harmless file name that keeps its ending."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'[<>:"|?*]', "_", " ".join(name.split())).strip(" .")
    if not name or _WINDOWS_RESERVED.match(name):
        name = fallback
    stem, suffix = (name, "") if "." not in name else name.rsplit(".", 1)
    suffix = "." + suffix if suffix else ""
    if len(suffix.encode()) > 16:
        stem, suffix = name, ""
    while len((stem + suffix).encode()) > _MAX_NAME_BYTES:
        stem = stem[:-1]
    return stem.rstrip(" .") + suffix if stem.strip(" .") else fallback


def _unique(name: str, taken: dict[str, bytes]) -> str:
    if ATTACHMENTS + name not in taken:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    number = 2
    while True:
        candidate = f"{stem}-{number}{dot}{suffix}"
        if ATTACHMENTS + candidate not in taken:
            return candidate
        number += 1


def _choose_manuscript(attachments: dict[str, bytes], has_html: bool) -> str:
    """The first attachment of a manuscript type, else the body (HTML keeps italics)."""
    for name in attachments:
        if manuscript.is_manuscript_name(name):
            return name
    return HTML_PART if has_html else BODY_PART


def _extract(name: str | None, parts: dict[str, bytes]) -> manuscript.Manuscript | None:
    if name is None:
        return None
    try:
        return manuscript.extract(parts[name], name)
    except ExtractionError:
        return None
    except Exception:  # a stranger's file must not stop the message being stored
        return None


def _header(msg: Message, name: str) -> str:
    values = _headers(msg, name)
    return values[0] if values else ""


def _headers(msg: Message, name: str) -> list[str]:
    try:
        return [str(v) for v in msg.get_all(name) or ()]
    except Exception:
        raw = [v for k, v in msg.raw_items() if k.lower() == name.lower()]
        return [str(v) for v in raw]


def _fallback_sender(raw: bytes) -> str:
    match = re.search(rb"^From:.*?([^\s<>\"]+@[^\s<>\"]+)", raw[:65536], re.M | re.I)
    if not match:
        return ""
    address = match.group(1).decode("ascii", errors="ignore").strip(">")
    return address if _ADDRESS.match(address) else ""
