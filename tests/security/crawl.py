"""Following a page's links as a browser would: which on-site pages a page leads to, which endpoint a URL reaches,
and whether someone may open it."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urljoin, urlsplit

from flask import Flask
from werkzeug.exceptions import HTTPException

from caseapp.auth.access import required_role
from caseapp.auth.models import Role

_HREF = re.compile(r'\bhref="([^"]+)"')
#: pages a crawl does not open: leaving them changes who is signed in, or they are files, not pages
NOT_CRAWLED = {"static", "auth.logout"}


def endpoint_of(app: Flask, url: str, method: str = "GET") -> str | None:
    """The endpoint `url` reaches on this site (None: another site, or no route)."""
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != app.config["SERVER_NAME"]:
        return None
    try:
        endpoint, _ = app.url_map.bind(app.config["SERVER_NAME"]).match(parts.path, method=method)
    except HTTPException:
        return None
    return str(endpoint)


def is_page(app: Flask, url: str) -> bool:
    endpoint = endpoint_of(app, url)
    return endpoint is not None and endpoint not in NOT_CRAWLED and not urlsplit(url).path.startswith("/api/")


def may_open(app: Flask, who: Role | None, url: str) -> bool:
    endpoint = endpoint_of(app, url)
    if endpoint is None:
        return False
    required = required_role(app, endpoint)
    return required is None or (who is not None and who.includes(required))


def links(page: str, url: str, app: Flask) -> list[str]:
    """The on-site pages `page` (at `url`) links to, as paths with their query strings."""
    found = []
    for href in _HREF.findall(page):
        target = urljoin(url, html.unescape(href))
        parts = urlsplit(target)
        if parts.scheme in ("", "http", "https") and is_page(app, target):
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return list(dict.fromkeys(found))


def query_names(url: str) -> set[str]:
    return {name for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
