"""HTML, through the standard library's parser."""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser

from .model import Manuscript
from .plain import codec_name, decode_text
from .shaping import Builder, assemble


class _Html(HTMLParser):
    _BLOCKS = frozenset(
        {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre"}
        | {"tr", "section", "article", "header", "footer", "main", "aside", "figure"}
        | {"figcaption", "dt", "dd", "table", "ul", "ol", "center", "address"}
    )
    _ITALIC = frozenset({"i", "em", "cite", "var", "dfn"})
    _BOLD = frozenset({"b", "strong"})
    _SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})
    _VOID = frozenset(
        {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed"}
        | {"source", "wbr"}
    )

    def __init__(self, classes: dict[str, tuple[bool, bool]] | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.out = Builder()
        self.open: list[tuple[str, bool, bool]] = []
        self.skip = 0
        self.classes = classes or {}

    def _style(self) -> tuple[bool, bool]:
        return (any(i for _, i, _ in self.open), any(b for _, _, b in self.open))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skip += 1
        elif tag == "br":
            self.out.line_break()
        elif tag == "hr":
            self.out.end_open()
            self.out.text("* * *")
            self.out.end()
        elif tag in self._BLOCKS:
            self.out.end_open()
        if tag in self._VOID or tag in self._SKIP:
            return
        found = dict(attrs)
        italic, bold = _css_style(found.get("style") or "")
        for name in (found.get("class") or "").split():
            by_class = self.classes.get(name, (False, False))
            italic, bold = italic or by_class[0], bold or by_class[1]
        self.open.append(
            (tag, tag in self._ITALIC or italic, tag in self._BOLD or bold)
        )

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skip = max(0, self.skip - 1)
            return
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == tag:
                del self.open[i:]
                break
        if tag in self._BLOCKS:
            self.out.end_open()

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.text(data.replace("\n", " "), *self._style())


_RULE = re.compile(r"((?:\.[\w-]+\s*,?\s*)+)\{([^}]*)\}")
_ITALIC_CSS = re.compile(r"font-style\s*:\s*(italic|oblique)", re.I)
_BOLD_CSS = re.compile(r"font-weight\s*:\s*(bold|bolder|[6-9]00)", re.I)


def _css_style(css: str) -> tuple[bool, bool]:
    """Whether declarations such as ``font-style:italic`` make text italic, bold."""
    return bool(_ITALIC_CSS.search(css)), bool(_BOLD_CSS.search(css))


def _styled_classes(text: str) -> dict[str, tuple[bool, bool]]:
    """Classes a style sheet makes italic or bold, as Google Docs and Word export."""
    classes: dict[str, tuple[bool, bool]] = {}
    for sheet in re.findall(r"<style[^>]*>(.*?)</style>", text, re.I | re.S):
        for selectors, declarations in _RULE.findall(sheet):
            style = _css_style(declarations)
            if style == (False, False):
                continue
            for name in re.findall(r"\.([\w-]+)", selectors):
                old = classes.get(name, (False, False))
                classes[name] = (old[0] or style[0], old[1] or style[1])
    return classes


def from_html(text: str) -> Manuscript:
    """A manuscript from HTML, such as a mail's HTML body."""
    reader = _Html(_styled_classes(text))
    reader.feed(text)
    reader.close()
    return assemble(reader.out.close())


def decode_html(data: bytes) -> str:
    declared = re.search(rb"""<meta[^>]+charset=["']?([\w-]+)""", data[:4096], re.I)
    if declared and not data.startswith((codecs.BOM_UTF8, b"\xff\xfe", b"\xfe\xff")):
        encoding = codec_name(declared.group(1).decode("ascii"))
        return data.decode(encoding, errors="replace")
    return decode_text(data)
