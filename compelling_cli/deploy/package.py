"""The ingest Lambda's package: the library without the CLI, and what it imports.

The zip holds ``lambda_handler/``, ``compelling_cli/`` without the parts only the
editor's terminal uses (``cli/``, ``render.py``, the demo, this package), and the
third-party packages the function imports that the Lambda runtime lacks. boto3 comes
with the runtime and is left out.

Pure-Python dependencies are copied from the environment csf runs in, so the function
runs the versions the tests ran and the build needs no network; one with compiled
code would be fetched by pip for the Lambda's platform instead. Entries are sorted and
dated 1980-01-01, so the same sources give the same bytes and ``csf deploy`` sees no
change to make.

Run as ``python -m compelling_cli.deploy.package dist/csf-lambda.zip``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from . import DeployError

# What the function imports beyond the standard library and the runtime's boto3:
# pypdf reads PDF manuscripts, dateutil (with six) reads dates, platformdirs finds
# the default paths config.py names.
DEPENDENCIES = ("pypdf", "python-dateutil", "six", "platformdirs")
PACKAGES = ("compelling_cli", "lambda_handler")
LEFT_OUT = (
    "compelling_cli/cli/",
    "compelling_cli/demo/",
    "compelling_cli/deploy/",
    "compelling_cli/render.py",
    "compelling_cli/__main__.py",
)
# The dist-info files that describe this machine's install rather than the package.
_LOCAL_METADATA = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
PLATFORM = ("manylinux2014_x86_64", "3.12")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def build_lambda_zip(output: Path) -> Path:
    """Write the function's package to ``output`` and return its path."""
    output = Path(output)
    with tempfile.TemporaryDirectory(prefix="csf-lambda-") as fetched:
        files = dict(_sources())
        for name in DEPENDENCIES:
            files.update(_dependency(name, Path(fetched)))
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".partial")
        try:
            _write_zip(partial, files)
            os.replace(partial, output)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise DeployError(
                f"cannot write {output}: {exc.strerror or exc}",
                "check the directory exists and is writable",
            ) from exc
    return output


def _sources() -> Iterator[tuple[str, Path]]:
    """csf's own files for the function, as (name in the zip, path)."""
    for package in PACKAGES:
        root = Path(__import__(package).__file__).parent
        for path in root.rglob("*"):
            name = f"{package}/{path.relative_to(root).as_posix()}"
            if path.is_file() and _wanted(name) and not name.startswith(LEFT_OUT):
                yield name, path


def _wanted(name: str) -> bool:
    return "__pycache__" not in name and not name.endswith((".pyc", ".pyo"))


def _dependency(name: str, scratch: Path) -> Iterator[tuple[str, Path]]:
    """The files of one installed distribution, or of pip's wheel for the Lambda."""
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError as exc:
        raise DeployError(
            f"cannot package the function: {name} is not installed",
            "run make test once, or pip install -e .",
        ) from exc

    if "Root-Is-Purelib: true" not in (dist.read_text("WHEEL") or ""):
        yield from _fetched(name, dist.version, scratch / name)
        return
    for file in dist.files or ():
        entry = file.as_posix()
        parts = entry.split("/")
        if parts[0] == ".." or not _wanted(entry):
            continue  # scripts installed outside site-packages, and bytecode
        if parts[0].endswith(".dist-info") and parts[-1] in _LOCAL_METADATA:
            continue
        yield entry, Path(dist.locate_file(file))


def _fetched(name: str, version: str, target: Path) -> Iterator[tuple[str, Path]]:
    """A dependency with compiled code, as pip installs it for the Lambda's platform."""
    platform, python = PLATFORM
    command = [
        *(sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"),
        *("--target", str(target), "--platform", platform),
        *("--python-version", python, "--implementation", "cp"),
        *("--only-binary=:all:", f"{name}=={version}"),
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise DeployError(
            f"cannot fetch {name} {version} for the Lambda: {last}",
            "check the network, or build the zip where PyPI is reachable",
        )
    for path in sorted(target.rglob("*")):
        entry = path.relative_to(target).as_posix()
        if path.is_file() and _wanted(entry):
            yield entry, path


def _write_zip(path: Path, files: dict[str, Path]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name].read_bytes())


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    output = Path(args[0] if args else "dist/csf-lambda.zip")
    try:
        built = build_lambda_zip(output)
    except DeployError as exc:
        print(f"csf: error: {exc}", file=sys.stderr)
        return 1
    print(f"{built} ({built.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
