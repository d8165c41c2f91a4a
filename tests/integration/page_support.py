"""Reading rendered pages in tests: the error summary's links and the labels of the fields they point at."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"input", "br", "img", "meta", "link", "hr", "col", "source", "wbr"}


@dataclass
class _Open:
    tag: str
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)
    #: inside <span class="optional"> ("(optional)" is not part of a label)
    muted: bool = False


class PageReader(HTMLParser):
    """ids on the page, the label each labelled element has (label[for], a wrapping label, a fieldset's legend),
    and the error summary: its links (href, text) and its items' text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.duplicate_ids: set[str] = set()
        self.labels: dict[str, str] = {}
        self.summary_links: list[tuple[str, str]] = []
        self.summary_items: list[str] = []
        self._stack: list[_Open] = []
        self._wrapped: dict[int, str] = {}  # id(label element) -> id of the input inside it
        self.feed(html)
        self.close()

    def _inside(self, tag: str, css: str | None = None) -> _Open | None:
        for element in reversed(self._stack):
            if element.tag == tag and (css is None or css in element.attrs.get("class", "").split()):
                return element
        return None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if "id" in values:
            if values["id"] in self.ids:
                self.duplicate_ids.add(values["id"])
            self.ids.add(values["id"])
            label = self._inside("label")
            if tag in ("input", "select", "textarea") and label is not None and "for" not in label.attrs:
                self._wrapped[id(label)] = values["id"]
        if tag in VOID:
            return
        muted = tag == "span" and "optional" in values.get("class", "").split()
        self._stack.append(_Open(tag, values, muted=muted or bool(self._stack and self._stack[-1].muted)))

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            element = self._stack.pop()
            if element.tag == tag:
                self._closed(element)
                return

    def handle_data(self, data: str) -> None:
        if self._stack and not self._stack[-1].muted:
            for element in self._stack:
                element.text.append(data)

    def _closed(self, element: _Open) -> None:
        text = " ".join("".join(element.text).split())
        if element.tag == "label":
            target = element.attrs.get("for") or self._wrapped.get(id(element))
            if target:
                self.labels.setdefault(target, text)
        elif element.tag == "legend":
            fieldset = self._inside("fieldset")
            if fieldset is not None and "id" in fieldset.attrs:
                self.labels.setdefault(fieldset.attrs["id"], text)
        elif element.tag == "a" and self._inside("div", "error-summary"):
            self.summary_links.append((element.attrs.get("href", ""), text))
        elif element.tag == "li" and self._inside("div", "error-summary"):
            self.summary_items.append(text)


def check_error_summary(html: str) -> PageReader:
    """Every link in the error summary goes to a field on the page and names it by that field's own label."""
    page = PageReader(html)
    assert page.summary_items, "no error summary"
    for href, text in page.summary_links:
        assert href.startswith("#"), href
        target = href[1:]
        assert target in page.ids, f"the summary links to #{target}, which is not on the page"
        assert page.labels.get(target) == text, (target, text, page.labels.get(target))
    return page
