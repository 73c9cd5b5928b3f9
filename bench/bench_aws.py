"""What the AWS store costs per command, and what the ingest Lambda holds in memory.

1. With moto in process, a table of 10,000 submissions (a third unread). Each command
   of the editor's runs against it with botocore's event hooks counting the calls
   (``before-call``) and the items DynamoDB read (``Count``/``ScannedCount`` of each
   response, one per item returned by GetItem and UpdateItem). ``next`` is set beside
   what a script without the index does: Scan every page, keep the unread, sort by
   timestamp. Goal: ``next`` one call reading one item, at any size.
2. The handler on a message of 30 MB (a manuscript and two large attachments), with
   moto's server in another process so that only the function's memory is traced.
   tracemalloc's peak above the baseline is set against the message size. Goal: below
   three times the message.

Figures are printed with PASS or MISS against the goals; nothing here fails a build.

Usage: python bench/bench_aws.py [--quick] [--items N] [--megabytes N]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import socket
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REGION = "eu-west-1"
TABLE = "compelling_submissions"
BUCKET = "csf-bench"
SENDER = "submissions@example-magazine.test"


def fake_account() -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
        CSF_CONFIG=os.devnull,
    )


class Meter:
    """Counts the calls a client makes and the items DynamoDB says it read."""

    def __init__(self, *clients: Any) -> None:
        self.calls: Counter[str] = Counter()
        self.items = 0
        for client in clients:
            client.meta.events.register("before-call.*.*", self._call)
            client.meta.events.register("after-call.*.*", self._read)

    def _call(self, model, **_: Any) -> None:
        self.calls[model.name] += 1

    def _read(self, parsed, model, **_: Any) -> None:
        if "ScannedCount" in parsed:
            self.items += parsed["ScannedCount"]
        elif "Count" in parsed:
            self.items += parsed["Count"]
        elif "Item" in parsed or "Attributes" in parsed:
            self.items += 1

    @contextmanager
    def measure(self, into: dict[str, Any]):
        self.calls.clear()
        self.items = 0
        started = time.perf_counter()
        yield
        into["ms"] = (time.perf_counter() - started) * 1000
        into["calls"] = sum(self.calls.values())
        into["ops"] = dict(self.calls)
        into["items"] = self.items


def seed(store, count: int) -> None:
    """``count`` items in the original shape plus csf's fields; a third unread."""
    from compelling_cli.model import State, Submission
    from compelling_cli.store.aws import to_item

    rng = random.Random(7)
    states = [State.UNREAD] * 5 + [State.REJECTED] * 7 + [State.HELD, State.ACCEPTED]
    requests = []
    for n in range(count):
        sub = Submission(
            id=f"b{n:09d}",
            email=f"writer{n}@example.com",
            author=f"Writer {n}",
            title=f"Story number {n}",
            subject=f"Submission: Story number {n}",
            timestamp=1_600_000_000 + rng.randrange(100_000_000),
            state=rng.choice(states),
            word_count=rng.randrange(500, 9000),
            parts=["raw.eml", "body.txt", "attachments/story.docx"],
            manuscript="attachments/story.docx",
        )
        requests.append({"PutRequest": {"Item": to_item(sub)}})
    for start in range(0, len(requests), 25):
        store.dynamodb.batch_write_item(
            RequestItems={TABLE: requests[start : start + 25]}
        )


def scan_and_sort(dynamodb) -> dict[str, Any] | None:
    """What a script without the index does for ``next``."""
    items, request = [], {"TableName": TABLE}
    while True:
        page = dynamodb.scan(**request)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    unread = [i for i in items if i["evaluation_state"]["N"] == "0"]
    return min(unread, key=lambda i: int(i["timestamp"]["N"]), default=None)


def bench_commands(count: int) -> None:
    from moto import mock_aws

    from compelling_cli.model import State
    from compelling_cli.store.aws import AwsStore

    print(f"-- commands on a table of {count:,} items (moto in process)")
    with mock_aws():
        store = AwsStore(TABLE, BUCKET)
        store.setup()
        started = time.perf_counter()
        seed(store, count)
        print(f"seeded in {time.perf_counter() - started:.1f} s")
        first = store.next_unread()
        store.s3.put_object(
            Bucket=BUCKET, Key=store.part_key(first.id, "raw.eml"), Body=b"x"
        )
        meter = Meter(store.dynamodb, store.s3)

        rows: list[tuple[str, dict[str, Any]]] = []
        commands = [
            ("next", store.next_unread),
            ("show ID", lambda: store.get(first.id)),
            ("show --raw ID", lambda: store.read_part(first.id, "raw.eml")),
            ("list --state held", lambda: list(store.list(State.HELD))),
            ("list (all)", lambda: list(store.list())),
            (
                "reject ID",
                lambda: store.transition(first.id, State.UNREAD, State.REJECTED, at=1),
            ),
            ("scan + sort (no index)", lambda: scan_and_sort(store.dynamodb)),
        ]
        for name, command in commands:
            figures: dict[str, Any] = {}
            with meter.measure(figures):
                command()
            rows.append((name, figures))

    print(f"{'command':<24}{'calls':>7}{'items read':>12}{'ms':>9}  operations")
    for name, f in rows:
        ops = ", ".join(f"{op} x{n}" for op, n in sorted(f["ops"].items()))
        print(f"{name:<24}{f['calls']:>7}{f['items']:>12,}{f['ms']:>9.1f}  {ops}")

    nxt, scan = rows[0][1], rows[-1][1]
    ok = nxt["calls"] == 1 and nxt["items"] == 1
    print(
        f"next: {nxt['calls']} call, {nxt['items']} item read; scan + sort: "
        f"{scan['calls']} calls, {scan['items']:,} items read "
        f"({scan['items'] / max(nxt['items'], 1):,.0f}x the items, "
        f"{scan['ms'] / max(nxt['ms'], 0.001):,.0f}x the time) "
        f"-> {'PASS' if ok else 'MISS'} (goal: one call, one item)"
    )
    print("the scan pages at 1 MB, as DynamoDB does: its calls grow with the table")


def big_message(megabytes: float) -> bytes:
    """A submission of about ``megabytes`` MB: a .docx manuscript, two images."""
    msg = EmailMessage()
    msg["From"] = "Jane Writer <jane@example.com>"
    msg["To"] = SENDER
    msg["Subject"] = "Submission: The Heavy Orchard"
    msg["Date"] = "Fri, 20 Nov 2026 09:30:00 +0000"
    msg["Message-ID"] = "<heavy-orchard@example.com>"
    msg.set_content("Dear Editor,\n\nMy story and its illustrations are attached.\n")
    msg.add_attachment(
        docx(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="heavy-orchard.docx",
    )
    # base64 makes 3 bytes 4 characters: two images this big fill the target.
    image = int(megabytes * 1_000_000 * 3 / 4 / 2)
    rng = random.Random(3)
    for n in (1, 2):
        data = rng.randbytes(image)
        msg.add_attachment(data, maintype="image", subtype="jpeg", filename=f"p{n}.jpg")
    return bytes(msg)


def docx() -> bytes:
    import io

    from docx import Document

    document = Document()
    document.add_heading("The Heavy Orchard", 0)
    for n in range(400):
        document.add_paragraph(
            f"Paragraph {n}: the glass apples rang in the wind. " * 4
        )
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit("moto's server did not start")


def bench_handler_memory(megabytes: float) -> None:
    import json

    print(f"\n-- the handler on a {megabytes:g} MB message (moto in another process)")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(port)
        os.environ.update(
            AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
            CSF_BUCKET=BUCKET,
            CSF_FROM_EMAIL=SENDER,
            CSF_EDITOR_EMAIL="editor@example-magazine.test",
        )
        import boto3

        from compelling_cli.config import load_settings
        from lambda_handler import handler

        store, _ = handler.resources(load_settings({"backend": "aws"}))
        store.setup()
        boto3.client("ses").verify_domain_identity(Domain="example-magazine.test")

        def event(key: str) -> dict[str, Any]:
            record = {
                "eventSource": "aws:s3",
                "s3": {"bucket": {"name": BUCKET}, "object": {"key": quote_plus(key)}},
            }
            return {"Records": [record]}

        # Warm up: every module and client the handler uses, on a small message.
        small = big_message(0.05)
        store.s3.put_object(Bucket=BUCKET, Key="incoming/warm", Body=small)
        handler.lambda_handler(event("incoming/warm"), None)

        raw = big_message(megabytes)
        size = len(raw)
        store.s3.put_object(Bucket=BUCKET, Key="incoming/heavy", Body=raw)
        del raw
        gc.collect()

        tracemalloc.start()
        baseline = tracemalloc.get_traced_memory()[0]
        started = time.perf_counter()
        handler.lambda_handler(event("incoming/heavy"), None)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] - baseline
        tracemalloc.stop()
    finally:
        server.terminate()
        server.wait(timeout=10)

    ratio = peak / size
    print(json.dumps({"message_bytes": size, "peak_above_baseline": peak}))
    print(
        f"message {size / 1e6:.1f} MB, peak {peak / 1e6:.1f} MB above the baseline "
        f"= {ratio:.2f}x the message, in {seconds:.1f} s "
        f"-> {'PASS' if ratio < 3 else 'MISS'} (goal: below 3x)"
    )


def traced_peak(function) -> int:
    """Bytes allocated at the peak of ``function()`` above what was there before."""
    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    function()
    peak = tracemalloc.get_traced_memory()[1] - baseline
    tracemalloc.stop()
    return peak


def bench_parser_memory(megabytes: float) -> None:
    """Where the handler's memory goes: the standard parser, parse_message with the
    whole message in hand, and parse_stream as the handler reads it from S3."""
    from email import policy
    from email.parser import BytesParser

    from compelling_cli import mail

    raw = big_message(megabytes)
    size = len(raw)
    mail.parse_message(big_message(0.05))

    def streamed() -> None:
        view = memoryview(raw)
        mail.parse_stream(bytes(view[i : i + 65536]) for i in range(0, size, 65536))

    figures = {
        "BytesParser.parsebytes alone": traced_peak(
            lambda: BytesParser(policy=policy.default).parsebytes(raw)
        ),
        "parse_message (the bytes in hand)": traced_peak(
            lambda: mail.parse_message(raw)
        ),
        "parse_stream (64 KB chunks)": traced_peak(streamed),
    }
    print("where it goes (peak above the raw bytes already held, x the message):")
    for name, peak in figures.items():
        print(f"  {name:<40}{peak / size:>6.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 items, 10 MB")
    parser.add_argument("--items", type=int, default=None)
    parser.add_argument("--megabytes", type=float, default=None)
    parser.add_argument(
        "--memory-only", action="store_true", help="only the handler's memory"
    )
    args, _ = parser.parse_known_args()
    items = args.items or (2_000 if args.quick else 10_000)
    megabytes = args.megabytes or (10.0 if args.quick else 30.0)

    fake_account()
    if not args.memory_only:
        bench_commands(items)
    bench_handler_memory(megabytes)
    bench_parser_memory(megabytes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
