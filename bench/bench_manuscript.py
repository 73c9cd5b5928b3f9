"""How fast csf turns a manuscript file into terminal text, and in how much memory.

Builds one 20,000-word story in standard manuscript format, with italics and scene
breaks, as a docx (python-docx), an odt, an rtf and a pdf (written by the builders in
tests/manuscript_files.py) in a temporary directory. For each it measures, from the
file on disk to rendered text (``csf read``'s renderable printed to a 100-column
console): the best of several timed runs, the peak of Python allocations during one run
(tracemalloc), and the peak resident size of a fresh process doing one run. Beside them,
in the same run, mammoth's own docx-to-markdown conversion of the same docx.

Goals: docx, odt and rtf each faster than mammoth on the docx; pdf under 1 s; each
under 100 MB at its peak. Figures are printed with PASS or MISS; nothing here fails a
build.

Usage: python bench/bench_manuscript.py [--words N] [--repeats N]
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import manuscript_files as files  # noqa: E402

FORMATS = {
    "docx": files.docx_bytes,
    "odt": files.odt_bytes,
    "rtf": files.rtf_bytes,
    "pdf": files.pdf_bytes,
}


def read_and_render(path: Path) -> int:
    """What ``csf read`` does with a file: extract, then render; the words counted."""
    from rich.console import Console

    from compelling_cli.manuscript import extract
    from compelling_cli.render import render_manuscript

    story = extract(path.read_bytes(), path.name)
    console = Console(file=io.StringIO(), width=100, force_terminal=True)
    console.print(render_manuscript(story))
    return story.word_count


def mammoth_markdown(path: Path) -> int:
    """mammoth's own conversion of the docx to markdown; the words in it."""
    import mammoth

    with path.open("rb") as stream:
        result = mammoth.convert_to_markdown(stream)
    return len(result.value.split())


def best_time(work: Callable[[], object], repeats: int) -> float:
    work()
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def traced_peak(work: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def process_peak(job: str, path: Path) -> tuple[int, int]:
    """Peak resident bytes of a fresh process: after imports alone, after one run."""
    done = subprocess.run(
        [sys.executable, __file__, "--one", job, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(done.stdout)
    return figures["baseline"], figures["peak"]


def peak_resident() -> int:
    """This process's peak resident size in bytes (VmHWM, which exec resets)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def one(job: str, path: Path) -> None:
    """Run one job in this process and print its peak resident size as JSON."""
    if job == "mammoth":
        import mammoth  # noqa: F401
    else:
        import rich.console  # noqa: F401

        import compelling_cli.manuscript
        import compelling_cli.render  # noqa: F401

        if job == "pdf":
            import pypdf  # noqa: F401
    baseline = peak_resident()
    (mammoth_markdown if job == "mammoth" else read_and_render)(path)
    print(json.dumps({"baseline": baseline, "peak": peak_resident()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--one", nargs=2, metavar=("JOB", "PATH"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.one:
        one(args.one[0], Path(args.one[1]))
        return

    story = files.long_story(args.words)
    mb = 1024 * 1024
    with tempfile.TemporaryDirectory() as directory:
        paths = {}
        for name, build in FORMATS.items():
            paths[name] = Path(directory) / f"story.{name}"
            paths[name].write_bytes(build(story))

        rows = []
        jobs = [("mammoth (docx)", "mammoth", paths["docx"])]
        jobs += [(name, name, path) for name, path in paths.items()]
        for label, job, path in jobs:
            work = (
                (lambda p=path: mammoth_markdown(p))
                if job == "mammoth"
                else (lambda p=path: read_and_render(p))
            )
            words = work()
            seconds = best_time(work, args.repeats)
            traced = traced_peak(work)
            baseline, peak = process_peak(job, path)
            rows.append((label, job, path.stat().st_size, words, seconds, traced, peak))
            rows[-1] += (baseline,)

    mammoth_seconds = rows[0][4]
    print(
        f"{args.words:,}-word story, best of {args.repeats} runs, file to rendered text"
    )
    print(
        f"{'':16} {'file':>8} {'words':>7} {'time':>8} {'vs mammoth':>10} "
        f"{'traced':>8} {'peak RSS':>9} {'imports':>8}  goal"
    )
    for label, job, size, words, seconds, traced, peak, baseline in rows:
        if job == "mammoth":
            goal = ""
        elif job == "pdf":
            goal = "PASS" if seconds < 1 and peak < 100 * mb else "MISS"
            goal += " (< 1 s, < 100 MB)"
        else:
            goal = "PASS" if seconds < mammoth_seconds and peak < 100 * mb else "MISS"
            goal += " (< mammoth, < 100 MB)"
        print(
            f"{label:16} {size / 1024:7.0f}K {words:7,} {seconds * 1000:6.0f}ms "
            f"{seconds / mammoth_seconds:9.2f}x {traced / mb:6.1f}MB "
            f"{peak / mb:7.1f}MB {baseline / mb:6.1f}MB  {goal}"
        )
    print(
        "traced: peak of Python allocations during one run (tracemalloc); "
        "peak RSS: a fresh process after one run, imports included (imports: "
        "its size after the imports alone)."
    )


if __name__ == "__main__":
    main()
