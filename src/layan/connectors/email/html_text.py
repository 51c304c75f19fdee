"""HTML to readable plain text, for mail that arrives with an HTML body only.

Paragraphs and block elements become blank-line separated blocks, ``<br>`` a line break,
list items ``- item``, links ``text (url)``; scripts, styles and the ``<head>`` are dropped.
The markup that mail programs wrap around quoted history (Gmail's ``gmail_quote``,
``<blockquote type="cite">``, Outlook's ``divRplyFwdMsg``, Yahoo's ``yahoo_quoted``,
Thunderbird's ``moz-cite-prefix``) is reported separately so that the caller can tell the
new text from the quoted one. A Gmail "Forwarded message" container is not a quote: a
forward is the new content.

This is a converter for display and separation, not a sanitiser: the raw HTML is kept as
sent and sanitised with nh3 where it is stored.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = {"script", "style", "head", "title", "template", "noscript", "xml", "o:p"}
_BLOCK = {
    "p", "div", "section", "article", "header", "footer", "table", "tr", "h1", "h2", "h3",
    "h4", "h5", "h6", "pre", "blockquote", "ul", "ol", "dl", "dt", "dd", "address", "center",
    "form", "fieldset", "hr", "body", "html", "main", "nav", "aside", "figure",
}
_PARAGRAPH = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote", "pre"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr", "source"}
_FORWARD = re.compile(r"^\W*(-{2,}\s*)?(forwarded message|pesan terusan|begin forwarded message)",
                      re.IGNORECASE)


def _quote_kind(tag: str, attrs: dict[str, str]) -> str | None:
    """``"element"`` if this element holds quoted history, ``"rest"`` if it and all that
    follows it do (Outlook puts the history after its reply header), else None."""
    classes = set((attrs.get("class") or "").split())
    element_id = attrs.get("id") or ""
    if tag == "blockquote" and (attrs.get("type") or "").lower() == "cite":
        return "element"
    if classes & {"gmail_quote", "gmail_quote_container", "yahoo_quoted", "moz-cite-prefix"}:
        return "element"
    if element_id in {"divRplyFwdMsg", "appendonsend"} or element_id.startswith("yahoo_quoted"):
        return "rest"
    return None


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.new: list[str] = []
        self.segments: list[tuple[bool, list[str]]] = [(False, self.new)]
        self.stack: list[tuple[str, bool]] = []  # (tag, opened a quote)
        self.skip_depth = 0
        self.quote_depth = 0
        self.rest_quoted = False
        self.pre_depth = 0
        self.links: list[tuple[str, int]] = []
        self.list_stack: list[list[int | str]] = []

    # Output goes to the current segment: new text, or the quote being read.
    def _out(self) -> list[str]:
        return self.segments[-1][1]

    def _start_segment(self, quoted: bool) -> None:
        if self.segments[-1][0] != quoted:
            self.segments.append((quoted, []))

    def _write(self, text: str) -> None:
        self._out().append(text)

    def _break(self, lines: int) -> None:
        """End the current line and leave ``lines - 1`` blank lines, without adding to the
        breaks already there (block elements nest)."""
        tail = "".join(self._out()[-8:])
        stripped = tail.rstrip(" \t\n")
        have = tail[len(stripped):].count("\n")
        if stripped or len(self._out()) > 8:
            self._write("\n" * max(0, lines - have))

    def handle_starttag(self, tag, attrs):
        attributes = {k.lower(): (v or "") for k, v in attrs}
        if tag in _SKIP:
            if tag not in _VOID:
                self.skip_depth += 1
                self.stack.append((tag, False))
            return
        if self.skip_depth:
            if tag not in _VOID:
                self.stack.append((tag, False))
            return
        kind = _quote_kind(tag, attributes)
        opened = False
        if kind == "rest" and not self.rest_quoted:
            self.rest_quoted = True
            self._start_segment(True)
        elif kind == "element" and not self.rest_quoted:
            if self.quote_depth == 0:
                self.segments.append((True, []))
            self.quote_depth += 1
            opened = True
        if tag in _BLOCK or tag == "li":
            self._break(2 if tag in _PARAGRAPH else 1)
        if tag in {"br", "hr"}:
            self._write("\n")
        elif tag == "li":
            if self.list_stack and self.list_stack[-1][0] == "ol":
                self.list_stack[-1][1] = int(self.list_stack[-1][1]) + 1
                self._write(f"{self.list_stack[-1][1]}. ")
            else:
                self._write("- ")
        elif tag in {"ul", "ol"}:
            self.list_stack.append([tag, 0])
        elif tag in {"td", "th"}:
            self._write(" ")
        elif tag == "pre":
            self.pre_depth += 1
        elif tag == "a":
            self.links.append((attributes.get("href", ""), len(self._out())))
        elif tag == "img":
            alt = attributes.get("alt", "").strip()
            if alt:
                self._write(f"[{alt}]")
        if tag not in _VOID:
            self.stack.append((tag, opened))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        # Close up to the matching open tag; stray end tags are ignored.
        if not any(open_tag == tag for open_tag, _ in self.stack):
            return
        while self.stack:
            open_tag, opened = self.stack.pop()
            self._close(open_tag, opened)
            if open_tag == tag:
                break

    def _close(self, tag: str, opened: bool) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if self.skip_depth:
            return
        if tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self._out()[start:]).strip()
            target = href.strip()
            if target.lower().startswith("mailto:"):
                target = target[7:]
            if target and not target.startswith("#") and target != label and label:
                self._write(f" ({target})")
            elif target and not label and not target.startswith("#"):
                self._write(target)
        elif tag in {"ul", "ol"} and self.list_stack:
            self.list_stack.pop()
        elif tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
        if tag in _BLOCK or tag == "li":
            self._break(2 if tag in _PARAGRAPH else 1)
        if opened:
            self.quote_depth -= 1
            if self.quote_depth == 0 and not self.rest_quoted:
                self.segments.append((False, []))

    def handle_data(self, data):
        if self.skip_depth:
            return
        if not self.pre_depth:
            data = re.sub(r"[ \t\r\n\f\v]+", " ", data)
        self._write(data)


def _tidy(text: str) -> str:
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _convert(html: str) -> _Converter:
    converter = _Converter()
    try:
        converter.feed(re.sub(r"<[^<>]*$", "", html))  # a tag cut off at the end is dropped
        converter.close()
    except Exception:  # noqa: S110 - keep what was converted before the markup broke
        pass
    return converter


def convert_html(html: str) -> tuple[str, str, str]:
    """``(text, new_text, quoted_text)`` of an HTML body: all of it, what is new, what is
    quoted; never raises."""
    segments = _convert(html).segments
    new: list[str] = []
    quoted: list[str] = []
    for is_quote, chunks in segments:
        text = "".join(chunks)
        if is_quote and not _FORWARD.match(text.strip()):
            quoted.append(text)
        else:
            new.append(text)
    whole = _tidy("".join("".join(chunks) for _, chunks in segments))
    return whole, _tidy("".join(new)), _tidy("\n".join(quoted))


def html_to_text_parts(html: str) -> tuple[str, str]:
    """``(new_text, quoted_text)`` of an HTML body; never raises."""
    return convert_html(html)[1:]


def html_to_text(html: str) -> str:
    """All of an HTML body as readable plain text, quotes included; never raises."""
    return convert_html(html)[0]
