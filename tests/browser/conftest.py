"""A live caseapp on its own committed database, and headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from caseapp.extensions import db
from tests.conftest import ARTIFACTS, create_database, drop_database, make_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # the suite may run as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=en-GB",
]


@pytest.fixture(scope="module")
def live_app(pg_server_url: str, redis_url: str) -> Iterator[Any]:
    database_url = create_database(pg_server_url, prefix="caseapp_browser")
    flask_app = make_app(database_url, redis_url, SERVER_NAME=None)
    with flask_app.app_context():
        upgrade()
    yield flask_app
    with flask_app.app_context():
        db.engine.dispose()
    drop_database(pg_server_url, database_url)


@pytest.fixture(scope="module")
def live_url(live_app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="Europe/London")
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def screenshot_dir() -> Path:
    path = ARTIFACTS / "browser"
    path.mkdir(parents=True, exist_ok=True)
    return path
