"""Run every ``bench/bench_*.py`` in turn with this interpreter, passing arguments on.

Usage: python bench/run.py [--quick] [other options every benchmark accepts]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    failed = []
    for bench in sorted(here.glob("bench_*.py")):
        print(f"== {bench.name}", flush=True)
        code = subprocess.call([sys.executable, str(bench), *sys.argv[1:]])
        if code != 0:
            failed.append(f"{bench.name} (exit {code})")
        print(flush=True)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
