"""How much csf adds to the framework it stands on, and how fast it ingests mail.

Builds a library of 20,000 submissions in a temporary directory, then measures:

- ``csf --help`` and ``csf next`` against a minimal Typer app (one command printing one
  rich line), run as subprocesses with the same interpreter and environment, the runs
  of both interleaved in a shuffled order so that drift on a shared machine hits both;
- whether either csf command imports boto3 (``-X importtime`` lists every import);
- the ingest rate (``ingest_message`` into a fresh library with a Maildir outbox and an
  editor address, so both mails are written) beside the standard library's parser alone
  on the same messages.

Figures are printed, with PASS or MISS against the goals; nothing here fails a build.

Usage: python bench/bench_cli.py [--quick] [--submissions N] [--repeats N] [--ingest N]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import cProfile
import email.parser
import email.policy
import io
import json
import os
import pstats
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from compelling_cli.config import load_settings
from compelling_cli.ingest import ingest_message
from compelling_cli.mail import parse_message
from compelling_cli.model import State
from compelling_cli.outbox import open_outbox
from compelling_cli.store.local import LocalStore

STARTUP_GOAL = 1.3
INGEST_GOAL = 0.25
YEAR = timedelta(days=365)

MINIMAL_APP = '''\
"""The baseline: the least a Typer app with one rich line can be."""

import typer

app = typer.Typer(add_completion=False)


@app.callback()
def main() -> None:
    """A minimal app."""


@app.command()
def hello() -> None:
    """Print one line."""
    import rich

    rich.print("[bold]Hello[/bold] from the minimal app")


app()
'''


# The messages: varied senders, subjects, dates, bodies and attachments.


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST = _words(
    "Jane Amara Tomás Zoë Priya Olu Marguerite Kenji Ingrid Dmitri Fatima Callum "
    "Beatriz Hannah Emeka Siobhan Lars Mei Rafael Agnieszka Noor Wendell Yusuf Clara"
)
LAST = _words(
    "Writer Okafor Núñez Lindqvist Raman Adeyemi Fairbanks Watanabe Holm Sokolov "
    "Haddad MacLeod Ferreira Goldberg Obi Byrne Eriksen Chen Alvarez Kowalska Rahman "
    "Price Demir Whitlock"
)
DOMAINS = (
    "example.com",
    "mail.example.org",
    "writers.example.net",
    "uni.example.edu",
    "fastmail.example",
)
TITLE_WORDS = _words(
    "glass orchard salt winter lantern river paper crow hollow tide ember harbour "
    "widow clock garden silence fox bridge letter moth ash cartographer sister "
    "lighthouse quarry"
)
PROSE = _words(
    "the a and of to in she he it was her his that with for on as at by from had "
    "not but they were into the morning light over water house door window road "
    "field night voice hand mother father child letter old small long last before "
    "after again never always something nothing remembered waited turned opened "
    "closed walked listened said asked knew thought felt carried counted folded "
    "salt iron bread rain snow dust smoke ash ember river orchard lantern garden "
    "quiet slowly almost"
)
SUBJECTS = (
    "Submission: {title}",
    "{title} by {name}",
    "Fiction submission - {title}",
    "SUB: {title} ({words:,} words)",
    "Story submission: {title}",
    "{title}",
    "Re: Submission: {title}",
)


def _header_text(text: str) -> str:
    """``text`` as a header may carry it: RFC 2047 when it is not ASCII."""
    if text.isascii():
        return text
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def _docx(text: str) -> bytes:
    """A small zip laid out like a .docx; enough to be stored as an attachment."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        paragraphs = "".join(
            f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in text
        )
        archive.writestr(
            "word/document.xml",
            f'<?xml version="1.0"?><w:document><w:body>{paragraphs}</w:body>'
            "</w:document>",
        )
    return buffer.getvalue()


def _prose(rng: random.Random, words: int) -> str:
    """Paragraphs of plausible-looking words, lines under 78 columns."""
    paragraphs = []
    while words > 0:
        size = min(words, rng.randint(40, 120))
        chosen = rng.choices(PROSE, k=size)
        chosen[0] = chosen[0].capitalize()
        lines = [" ".join(chosen[i : i + 11]) for i in range(0, size, 11)]
        paragraphs.append("\n".join(lines) + ".")
        words -= size
    return "\n\n".join(paragraphs)


def make_messages(count: int, seed: int, end: datetime) -> Iterator[bytes]:
    """``count`` raw messages received over the two years before ``end``."""
    rng = random.Random(seed)
    docx = _docx(["The Glass Orchard", "A story in a .docx."] * 20)
    for number in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{first} {last}"
        local = f"{first}.{last}{rng.randint(1, 999)}".lower()
        address = local.encode("ascii", "ignore").decode() + "@" + rng.choice(DOMAINS)
        title = " ".join(w.capitalize() for w in rng.sample(TITLE_WORDS, 3))
        words = rng.randint(200, 600)
        subject = rng.choice(SUBJECTS).format(title=title, name=name, words=words * 9)
        date = end - YEAR * 2 * rng.random()
        received = date + timedelta(seconds=rng.randint(5, 600))
        body = (
            f"Dear Editor,\n\nPlease consider my story, {title}, for the magazine.\n\n"
            f"{_prose(rng, words)}\n\nWith thanks,\n{first}\n"
        )

        headers = (
            "Received: from mail.example.com by mx.example-magazine.test with ESMTPS "
            f"id {number:08x}; {format_datetime(received)}\n"
            f"From: {_header_text(name)} <{address}>\n"
            "To: submissions@example-magazine.test\n"
            f"Subject: {_header_text(subject)}\n"
            f"Date: {format_datetime(date)}\n"
            f"Message-ID: <{number}.{rng.getrandbits(48):x}@{address.split('@')[1]}>\n"
            "MIME-Version: 1.0\n"
        )
        plain = (
            'Content-Type: text/plain; charset="utf-8"\n'
            "Content-Transfer-Encoding: 8bit\n\n" + body
        )
        kind = rng.random()
        if kind < 0.70:
            message = headers + plain
        elif kind < 0.80:
            html = "".join(f"<p>{p}</p>\n" for p in body.split("\n\n"))
            message = (
                headers + 'Content-Type: multipart/alternative; boundary="alt"\n\n'
                "--alt\n" + plain + "\n--alt\n"
                'Content-Type: text/html; charset="utf-8"\n'
                "Content-Transfer-Encoding: 8bit\n\n" + html + "\n--alt--\n"
            )
        else:
            if kind < 0.95:
                filename, mime = f"{title.replace(' ', '_')}.txt", "text/plain"
                data = _prose(rng, rng.randint(1500, 4000)).encode()
            else:
                filename = f"{title.replace(' ', '_')}.docx"
                mime = (
                    "application/vnd.openxmlformats-officedocument"
                    ".wordprocessingml.document"
                )
                data = docx
            encoded = base64.encodebytes(data).decode()
            message = (
                headers + 'Content-Type: multipart/mixed; boundary="mix"\n\n'
                "--mix\n" + plain + "\n--mix\n"
                f"Content-Type: {mime}\n"
                f'Content-Disposition: attachment; filename="{filename}"\n'
                "Content-Transfer-Encoding: base64\n\n" + encoded + "--mix--\n"
            )
        yield message.replace("\n", "\r\n").encode("utf-8")


# The library.


def build_library(home: Path, count: int, now: datetime) -> dict[str, int]:
    """A worked library: older submissions decided, the recent months still unread."""
    rng = random.Random(7)
    store = LocalStore(home)
    states: dict[str, int] = defaultdict(int)
    recent = (now - timedelta(days=120)).timestamp()
    try:
        for raw in make_messages(count, seed=1, end=now):
            parsed = parse_message(raw, now=now.timestamp())
            sub = parsed.submission
            if sub.state == State.UNREAD:
                roll = rng.random()
                if sub.timestamp < recent:
                    sub.state = (
                        State.REJECTED
                        if roll < 0.88
                        else State.HELD
                        if roll < 0.94
                        else State.ACCEPTED
                        if roll < 0.98
                        else State.WITHDRAWN
                    )
                    sub.decided_at = sub.timestamp + rng.randint(3, 90) * 86400
                elif roll < 0.15:
                    sub.state = State.HELD
            sub.sent = ["confirmation"]
            store.add(sub, parsed.parts)
            states[sub.state.label] += 1
    finally:
        store.close()
    return dict(states)


# Startup.


@dataclass
class Case:
    """One command line, timed many times."""

    label: str
    argv: list[str]
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    env: dict[str, str] | None = None


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of one run, and what it printed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv)} exited {proc.returncode}:\n"
            + proc.stderr.decode(errors="replace")
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout.decode(errors="replace")


def time_startup(cases: list[Case], env: dict[str, str], repeats: int) -> None:
    """Run every case ``repeats`` times, each round in a fresh shuffled order."""
    rng = random.Random(11)
    for _ in range(3):  # warm the page cache and the bytecode; not counted
        for case in cases:
            run_once(case.argv, case.env or env)
    for _ in range(repeats):
        order = cases[:]
        rng.shuffle(order)
        for case in order:
            wall, cpu, _output = run_once(case.argv, case.env or env)
            case.wall.append(wall)
            case.cpu.append(cpu)


def imported(argv: list[str], env: dict[str, str]) -> dict[str, int]:
    """Every module a run imports, with its own import time in microseconds."""
    proc = subprocess.run(
        argv, env={**env, "PYTHONPROFILEIMPORTTIME": "1"}, capture_output=True
    )
    modules = {}
    for line in proc.stderr.decode(errors="replace").splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, _cumulative, name = line[len("import time:") :].split("|")
        if self_us.strip().isdigit():
            modules[name.strip()] = int(self_us)
    return modules


def import_profile(argv: list[str], env: dict[str, str], runs: int = 5) -> dict:
    """The least import time seen per module over a few runs."""
    best: dict[str, int] = {}
    for _ in range(runs):
        for name, micros in imported(argv, env).items():
            best[name] = min(micros, best.get(name, micros))
    return best


def extra_imports(csf: dict[str, int], base: dict[str, int]) -> list[tuple[str, int]]:
    """What csf imports beyond the baseline: its own modules one by one, others summed
    by top-level package."""
    totals: dict[str, int] = defaultdict(int)
    for name, micros in csf.items():
        if name not in base:
            key = name if name.startswith("compelling_cli") else name.split(".")[0]
            totals[key] += micros
    return sorted(totals.items(), key=lambda item: -item[1])


# Ingest.


def time_ingest(
    messages: list[bytes], work: Path, rounds: int, profile: bool
) -> tuple[list[float], list[float], int]:
    """Seconds per pass of the parser alone and of the full ingest, and mails sent."""
    parser = email.parser.BytesParser(policy=email.policy.default)
    environ = {
        "CSF_CONFIG": "/dev/null",
        "CSF_MAGAZINE": "Example Magazine",
        "CSF_EDITOR": "Ed Itor",
        "CSF_EDITOR_EMAIL": "editor@example-magazine.test",
        "CSF_FROM_EMAIL": "submissions@example-magazine.test",
    }
    now = datetime.now(UTC).timestamp()
    parse_times, ingest_times, sent = [], [], 0
    for number in range(rounds):
        start = time.perf_counter()
        for raw in messages:
            parser.parsebytes(raw)
        parse_times.append(time.perf_counter() - start)

        home = work / f"ingest-{number}"
        settings = load_settings({"home": str(home)}, environ)
        store, outbox = LocalStore(home), open_outbox(settings)
        profiler = cProfile.Profile() if profile and number == 0 else None
        start = time.perf_counter()
        with profiler or contextlib.nullcontext():
            results = [
                ingest_message(raw, store, outbox, settings, now=now)
                for raw in messages
            ]
        ingest_times.append(time.perf_counter() - start)
        store.close()

        sent = sum(len(result.sent) for result in results)
        if profiler is not None:
            print("\nProfile of one ingest pass (top 20 by cumulative time):")
            stats = pstats.Stats(profiler, stream=sys.stdout)
            stats.sort_stats("cumulative").print_stats(20)
        shutil.rmtree(home)
    return parse_times, ingest_times, sent


# The report.


@dataclass
class Goal:
    label: str
    ok: bool
    figure: str
    miss: str = "MISS"

    @property
    def verdict(self) -> str:
        return "PASS" if self.ok else self.miss


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def subprocess_env(work: Path, home: Path) -> dict[str, str]:
    """The environment both apps run in: no real config, the benchmark's library."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSF_")}
    env.update(
        CSF_CONFIG="/dev/null",
        CSF_HOME=str(home),
        COLUMNS="100",
        HOME=str(work / "user"),
        XDG_CONFIG_HOME=str(work / "user" / "config"),
        XDG_DATA_HOME=str(work / "user" / "data"),
    )
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    # Both apps run from bytecode, as installed programs do; the cache lives in the
    # temporary directory, so the warm-up fills it and nothing outlives the run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


def report_startup(cases: list[Case], repeats: int, seconds: float) -> list[Goal]:
    base_help, csf_help, base_cmd, csf_next = cases[:4]
    print(
        f"\nStartup: {repeats} timed runs of each command, interleaved in shuffled "
        f"order after 3 warm-up rounds ({seconds:.1f} s)"
    )
    print(f"{'command':<16} {'median ms':>9} {'min ms':>8} {'cpu med ms':>10}")
    for case in cases:
        print(
            f"{case.label:<16} {ms(statistics.median(case.wall)):>9} "
            f"{ms(min(case.wall))} {ms(statistics.median(case.cpu)):>10}"
        )
    print("* with PYTHONDONTWRITEBYTECODE=1: csf's own modules compiled on every run")

    goals = []
    print(f"\n{'ratio':<30} {'median':>7} {'min':>7} {'cpu':>7}  goal")
    for label, mine, theirs in (
        ("csf --help / minimal --help", csf_help, base_help),
        ("csf next / minimal hello", csf_next, base_cmd),
    ):
        by_median = statistics.median(mine.wall) / statistics.median(theirs.wall)
        by_min = min(mine.wall) / min(theirs.wall)
        by_cpu = statistics.median(mine.cpu) / statistics.median(theirs.cpu)
        ok = by_median < STARTUP_GOAL
        goal = Goal(f"{label} < {STARTUP_GOAL}", ok, f"{by_median:.2f}")
        goals.append(goal)
        print(
            f"{label:<30} {by_median:>7.2f} {by_min:>7.2f} {by_cpu:>7.2f}  "
            f"< {STARTUP_GOAL}: {goal.verdict}"
        )
    return goals


def report_imports(cases: list[Case], env: dict[str, str]) -> list[Goal]:
    base_help, csf_help, base_cmd, csf_next = cases[:4]
    print("\nImports (PYTHONPROFILEIMPORTTIME, least own time of 5 runs per module):")
    profiles = {case.label: import_profile(case.argv, env) for case in cases[:4]}
    goals = []
    for case, base in ((csf_help, base_help), (csf_next, base_cmd)):
        modules, theirs = profiles[case.label], profiles[base.label]
        aws = sorted(m for m in modules if m.split(".")[0] in {"boto3", "botocore"})
        figure = f"{len(aws)} boto3/botocore modules"
        goals.append(Goal(f"{case.label} imports no boto3", not aws, figure, "FAIL"))
        extra = extra_imports(modules, theirs)
        total = sum(micros for _name, micros in extra)
        beyond = sum(1 for name in modules if name not in theirs)
        print(
            f"  {case.label}: {len(modules)} modules; boto3/botocore: "
            f"{'YES (' + ', '.join(aws[:3]) + ')' if aws else 'none'}; "
            f"beyond {base.label}: {beyond} modules, {total / 1000:.1f} ms own time"
        )
        for name, micros in extra[:10]:
            print(f"      {name:<30} {micros / 1000:6.1f} ms")
    return goals


def report_ingest(
    messages: list[bytes], work: Path, rounds: int, profile: bool
) -> list[Goal]:
    count = len(messages)
    parse_times, ingest_times, sent = time_ingest(messages, work, rounds, profile)
    parse_rate = count / statistics.median(parse_times)
    ingest_rate = count / statistics.median(ingest_times)
    ratio = ingest_rate / parse_rate
    ok = ratio >= INGEST_GOAL
    goal = Goal(f"ingest / parser >= {INGEST_GOAL}", ok, f"{ratio:.3f}")

    average = sum(map(len, messages)) / count / 1024
    print(
        f"\nIngest: {count:,} messages ({average:.1f} KiB on average), {rounds} passes "
        f"of each, a fresh library per pass; {sent:,} mails written per pass"
    )
    print(f"{'pass':<40} {'median msg/s':>12} {'best msg/s':>11}")
    for label, times in (
        ("BytesParser(policy=default).parsebytes", parse_times),
        ("ingest_message (store + Maildir outbox)", ingest_times),
    ):
        median, best = count / statistics.median(times), count / min(times)
        print(f"{label:<40} {median:>12,.0f} {best:>11,.0f}")
    print(f"ingest / parser alone: {ratio:.3f}  >= {INGEST_GOAL}: {goal.verdict}")
    return [goal]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller, shorter run")
    parser.add_argument("--submissions", type=int, help="library size (20,000)")
    parser.add_argument("--repeats", type=int, help="timed runs per command (40)")
    parser.add_argument("--ingest", type=int, help="messages ingested (2,000)")
    parser.add_argument("--rounds", type=int, help="ingest passes (3)")
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of one ingest pass"
    )
    # bench/run.py passes every benchmark the same options; leave others theirs.
    args, others = parser.parse_known_args()
    if others:
        print(f"bench_cli.py: ignoring {' '.join(others)}", file=sys.stderr)
    submissions = args.submissions or (2_000 if args.quick else 20_000)
    repeats = args.repeats or (12 if args.quick else 40)
    ingest_count = args.ingest or (300 if args.quick else 2_000)
    rounds = args.rounds or (2 if args.quick else 3)

    python = Path(sys.executable)
    script = python.with_name("csf")
    csf = [str(script)] if script.exists() else [str(python), "-m", "compelling_cli"]
    now = datetime.now(UTC)
    began = time.perf_counter()
    print(f"csf benchmark: {python} (Python {sys.version.split()[0]})")
    print(f"csf runs as: {' '.join(csf)}; load average at start: {loadavg()}")

    with tempfile.TemporaryDirectory(prefix="csf-bench-") as tmp:
        work = Path(tmp)
        home = work / "library"
        minimal = work / "minimal.py"
        minimal.write_text(MINIMAL_APP, encoding="utf-8")

        start = time.perf_counter()
        states = build_library(home, submissions, now)
        built = time.perf_counter() - start
        total = sum(states.values())
        counts = ", ".join(f"{n:,} {label}" for label, n in sorted(states.items()))
        print(
            f"\nLibrary: {total:,} submissions built in {built:.1f} s "
            f"({total / built:,.0f}/s through parse_message and LocalStore.add)\n"
            f"  {counts}"
        )

        env = subprocess_env(work, home)
        uncached = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
        uncached.pop("PYTHONPYCACHEPREFIX")
        cases = [
            Case("minimal --help", [str(python), str(minimal), "--help"]),
            Case("csf --help", [*csf, "--help"]),
            Case("minimal hello", [str(python), str(minimal), "hello"]),
            Case("csf next", [*csf, "next"]),
            # For reference, not a goal: csf run from a tree without bytecode.
            Case("csf --help *", [*csf, "--help"], env=uncached),
            Case("csf next *", [*csf, "next"], env=uncached),
        ]

        # Each command must do its job before it is timed.
        _wall, _cpu, shown = run_once([*csf, "next", "--json"], env)
        oldest = json.loads(shown)
        if not oldest or oldest["state"] != "unread":
            raise SystemExit(f"csf next found no unread submission: {shown}")
        _wall, _cpu, hello = run_once(cases[2].argv, env)
        if "Hello" not in hello:
            raise SystemExit(f"the minimal app printed {hello!r}")

        start = time.perf_counter()
        time_startup(cases, env, repeats)
        goals = report_startup(cases, repeats, time.perf_counter() - start)
        goals += report_imports(cases, env)
        messages = list(make_messages(ingest_count, seed=2, end=now))
        goals += report_ingest(messages, work, rounds, args.profile)

    print("\nGoals:")
    for goal in goals:
        print(f"  {goal.verdict}  {goal.label:<36} {goal.figure}")
    print(
        f"\nTotal {time.perf_counter() - began:.0f} s; load average at end: {loadavg()}"
    )


if __name__ == "__main__":
    main()
