"""Reading pages as a browser would: the forms of a page, where they post and what they send if submitted as
rendered (for tests that post pages' forms, and for the security tests that submit every form of the app)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from werkzeug.datastructures import MultiDict

#: input types a person types free text into
TEXT_INPUTS = {"text", "search", "email", "tel", "url", ""}
#: input types that are never sent as typed data
NOT_SENT = {"submit", "button", "reset", "image", "file"}


@dataclass
class Field:
    name: str
    kind: str  # an input's type, or "textarea" / "select"
    value: str = ""
    checked: bool = False
    options: list[tuple[str, bool]] = field(default_factory=list)  # a select's (value, selected)


@dataclass
class Form:
    action: str  # the path (and query) it posts to
    method: str
    id: str | None = None
    fields: list[Field] = field(default_factory=list)

    @property
    def path(self) -> str:
        return urlsplit(self.action).path

    def defaults(self) -> list[tuple[str, str]]:
        """What a browser sends when the form is submitted as the page rendered it (no button pressed)."""
        sent: list[tuple[str, str]] = []
        for f in self.fields:
            if f.kind in NOT_SENT:
                continue
            if f.kind in ("checkbox", "radio"):
                if f.checked:
                    sent.append((f.name, f.value or "on"))
            elif f.kind == "select":
                chosen = [v for v, selected in f.options if selected] or [v for v, _ in f.options[:1]]
                sent.extend((f.name, v) for v in chosen)
            else:
                sent.append((f.name, f.value))
        return sent

    def text_fields(self) -> list[str]:
        """The fields a person types free text into (each name once)."""
        names = [f.name for f in self.fields if f.kind == "textarea" or f.kind in TEXT_INPUTS]
        return list(dict.fromkeys(names))


class _FormParser(HTMLParser):
    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.url = url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: Field | None = None
        self._select: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = urljoin(self.url, a.get("action") or self.url)
            self._form = Form(action, (a.get("method") or "get").upper(), a.get("id"))
            self.forms.append(self._form)
        elif self._form is None or ("name" not in a and tag in ("input", "textarea", "select")):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            self._form.fields.append(Field(a["name"], kind, a.get("value", ""), checked="checked" in a))
        elif tag == "textarea":
            self._textarea = Field(a["name"], "textarea")
            self._form.fields.append(self._textarea)
        elif tag == "select":
            self._select = Field(a["name"], "select")
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select.options.append((a.get("value", ""), "selected" in a))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            self._textarea.value = self._textarea.value.removeprefix("\n")  # as HTML parsing drops it
            self._textarea = None
        elif tag == "select":
            self._select = None


def forms_on(html: str, url: str = "/") -> list[Form]:
    """Every form of a page at `url` (actions made absolute paths)."""
    parser = _FormParser(url)
    parser.feed(html)
    parser.close()
    return parser.forms


def form_defaults(html: str, form_id: str) -> MultiDict[str, str]:
    """What the form with this id would send if submitted untouched (hidden fields, values, ticked boxes)."""
    found = [form for form in forms_on(html) if form.id == form_id and form.fields]
    if not found:
        raise AssertionError(f"no form #{form_id} with fields in the page")
    return MultiDict(found[0].defaults())
