"""RTF, by a small tokenizer that keeps italics and bold."""

from __future__ import annotations

import re

from ..errors import ExtractionError
from .model import Manuscript
from .plain import codec_name
from .shaping import Builder, assemble

_RTF_TOKEN = re.compile(
    rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])"
    rb"|([^\\{}\r\n]+)|[\r\n]+",
    re.DOTALL,
)
_RTF_SKIP = frozenset(
    b"fonttbl colortbl stylesheet info pict header headerl headerr headerf footer "
    b"footerl footerr footerf footnote object objdata themedata colorschememapping "
    b"datastore latentstyles listtable listoverridetable rsidtbl generator xmlnstbl "
    b"mmathPr fldinst filetbl revtbl pgdsctbl nonshppict shpinst annotation atnid "
    b"atnauthor xe tc bkmkstart bkmkend template docvar userprops".split()
)
_RTF_SYMBOLS = {
    b"emdash": "\u2014",
    b"endash": "\u2013",
    b"lquote": "\u2018",
    b"rquote": "\u2019",
    b"ldblquote": "\u201c",
    b"rdblquote": "\u201d",
    b"bullet": "\u2022",
    b"emspace": " ",
    b"enspace": " ",
    b"qmspace": " ",
    b"tab": "\t",
    b"cell": " ",
}
_RTF_CHARSETS = {b"mac": "mac_roman", b"pc": "cp437", b"pca": "cp850"}


def from_rtf(data: bytes, name: str = "manuscript.rtf") -> Manuscript:
    """A manuscript from a Rich Text Format (.rtf) file, italics and bold kept."""
    if not data.lstrip().startswith(b"{\\rtf"):
        raise ExtractionError(
            f"{name} is not an RTF file",
            "ask the author to send it again, or open it with `csf open`",
        )
    out = Builder()
    # One code page for the whole file: per-font \fcharset is not applied, as
    # manuscripts rarely mix 8-bit code pages (Unicode comes as \uN anyway).
    encoding = "cp1252"
    # A group's state: italic, bold, skipped, \uc count, hidden.
    italic, bold, skip, uc, hidden = False, False, False, 1, False
    stack: list[tuple[bool, bool, bool, int, bool]] = []
    group_start = False
    ignorable = False
    to_skip = 0
    pending = bytearray()
    position = 0
    match_at = _RTF_TOKEN.match
    size = len(data)

    def flush_bytes() -> None:
        if pending:
            if not (skip or hidden):
                out.text(
                    bytes(pending).decode(encoding, errors="replace"), italic, bold
                )
            pending.clear()

    while position < size:
        token = match_at(data, position)
        if token is None:
            position += 1
            continue
        position = token.end()
        word, param, hexbyte, symbol, brace, text = token.groups()

        if hexbyte is not None:
            if to_skip:
                to_skip -= 1
            else:
                pending.append(int(hexbyte, 16))
            group_start = False
            continue
        flush_bytes()

        if text is not None:
            group_start = False
            if to_skip:
                cut = min(to_skip, len(text))
                to_skip -= cut
                text = text[cut:]
            if text and not (skip or hidden):
                out.text(text.decode(encoding, errors="replace"), italic, bold)
        elif brace == b"{":
            stack.append((italic, bold, skip, uc, hidden))
            group_start = True
            ignorable = False
            to_skip = 0
        elif brace == b"}":
            if stack:
                italic, bold, skip, uc, hidden = stack.pop()
            group_start = False
            to_skip = 0
        elif symbol is not None:
            if symbol == b"*":
                ignorable = group_start
                continue
            group_start = False
            if skip or hidden:
                continue
            if symbol in b"\\{}":
                out.text(symbol.decode(), italic, bold)
            elif symbol == b"~":
                out.text("\u00a0", italic, bold)
            elif symbol == b"_":
                out.text("-", italic, bold)
            elif symbol in b"\r\n":
                out.end()
        elif word is not None:
            first = group_start
            group_start = False
            if first and (ignorable or word in _RTF_SKIP):
                skip = True
                continue
            number = int(param) if param else None
            if word == b"bin" and number:
                position += max(number, 0)
            elif word == b"uc":
                uc = max(number or 0, 0)
            elif skip:
                continue
            elif word == b"u" and number is not None:
                to_skip = 0
                if not hidden:
                    out.text(chr(number % 65536), italic, bold)
                to_skip = uc
            elif word == b"par" or word == b"sect" or word == b"page" or word == b"row":
                out.end()
            elif word == b"line":
                out.line_break()
            elif word == b"i":
                italic = number != 0
            elif word == b"b":
                bold = number != 0
            elif word == b"plain":
                italic = bold = hidden = False
            elif word == b"v":
                hidden = number != 0
            elif word == b"ansicpg" and number:
                encoding = codec_name(f"cp{number}")
            elif word in _RTF_CHARSETS:
                encoding = _RTF_CHARSETS[word]
            elif word in _RTF_SYMBOLS and not hidden:
                out.text(_RTF_SYMBOLS[word], italic, bold)
    flush_bytes()
    return assemble(out.close())
