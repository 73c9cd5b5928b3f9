"""Old Word .doc files, through antiword when it is installed."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import ExtractionError
from .model import Manuscript
from .office import from_docx
from .plain import from_text
from .rtf import from_rtf

#: Seconds antiword may take over one .doc.
ANTIWORD_TIMEOUT = 30


def from_doc(data: bytes, name: str = "manuscript.doc") -> Manuscript:
    """A manuscript from an older Word (.doc) file, through antiword when installed."""
    if data.lstrip().startswith(b"{\\rtf"):
        return from_rtf(data, name)
    if data.startswith(b"PK\x03\x04"):
        return from_docx(data, name)
    antiword = shutil.which("antiword")
    if antiword is None:
        raise ExtractionError(
            f"cannot read {name}: older Word (.doc) files need antiword, "
            "which is not installed",
            "install antiword, or use `csf open` to read it in a word processor",
        )
    # antiword's text output loses italics; its DocBook output keeps them but needs
    # sample .doc files to test against, which we cannot make without Word.
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "manuscript.doc"
        path.write_bytes(data)
        try:
            done = subprocess.run(
                [antiword, "-w", "0", "-m", "UTF-8.txt", str(path)],
                capture_output=True,
                timeout=ANTIWORD_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ExtractionError(
                f"cannot read {name}: antiword took over {ANTIWORD_TIMEOUT} s",
                "use `csf open` to read it in a word processor",
            ) from exc
    if done.returncode != 0:
        raise ExtractionError(
            f"cannot read {name}: antiword does not take it as a Word document",
            "use `csf open` to read it in a word processor",
        )
    return from_text(done.stdout.decode("utf-8", errors="replace"))
