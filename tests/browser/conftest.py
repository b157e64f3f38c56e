"""Browser tests: Django's live server and Debian's Chromium driven by Playwright (sync API).

Reusable by every app's browser tests: ``page`` (a phone-sized tab on the live server),
``login`` (through the real log-in form) and ``screenshot`` (saved into ``screenshots/`` at the
repository root, which git ignores). The machine's network is closed: Chromium is launched with
flags that stop it from phoning home, and never downloaded by Playwright.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        # Under CI=true tests/dbselect.py turns a "needs ..." skip into a failure.
        pytest.skip(
            "needs Debian's Chromium at /usr/bin/chromium "
            "(run scripts/ensure_chromium.sh or apt-get install chromium)"
        )
    # Playwright's sync API runs an event loop in this thread; Django would then refuse
    # the tests' own ORM calls as "async-unsafe". They are synchronous, so allow them.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: Any, transactional_db: None) -> Iterator[Any]:
    """A phone-sized tab whose relative URLs go to the live server; JS errors fail the test."""
    context = browser.new_context(
        viewport=PHONE,
        base_url=live_server.url,
        locale="en-GB",
        timezone_id="Europe/Amsterdam",
        has_touch=True,
    )
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.js_errors = errors
    yield tab
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def login(page: Any) -> Callable[..., None]:
    """Log in through the log-in form, as a resident would."""

    def _login(user: Any, password: str = PASSWORD) -> None:
        page.goto("/accounts/login/")
        page.get_by_label("E-mail address").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return _login


def open_menu(page: Any) -> None:
    """Open the header's menu (a closed <details> on a phone; always open when wide)."""
    menu = page.locator("#site-menu")
    if menu.get_attribute("open") is None:
        page.locator("#site-menu > summary").click()
    page.locator("#site-menu .menu-panel").wait_for()


def go(page: Any, name: str) -> None:
    """Follow a link of the header's menu, as a resident on a phone does."""
    open_menu(page)
    page.locator("#site-menu nav").get_by_role("link", name=name, exact=True).click()


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"))


@pytest.fixture
def screenshot(page: Any, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """Save a full-page screenshot as ``screenshots/<name>.png``."""

    def _shot(name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot


@pytest.fixture
def no_replan(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    """Record re-plan requests instead of solving: the live server commits for real."""
    calls: list[tuple[int, str]] = []
    for module in ("private_cars", "charging_sessions"):
        monkeypatch.setattr(
            f"energy.services.{module}.replan_request",
            lambda *, hub_id, reason: calls.append((hub_id, reason)),
        )
    return calls
