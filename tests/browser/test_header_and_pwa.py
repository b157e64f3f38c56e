"""The phone header is one compact row with a menu (language switch inside); the site has a
favicon, a manifest and a service worker that shows the offline page. At 390 x 844, in English
and Dutch: visible, no horizontal scroll, no console errors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import no_horizontal_scroll, open_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def console_errors(page: Any) -> list[str]:
    """Console errors and failed requests (a missing favicon shows up here)."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    return errors


def switch_language(page: Any, code: str) -> None:
    open_menu(page)
    page.get_by_label("Language" if code == "nl" else "Taal").select_option(code)
    page.locator("#site-menu .lang button").click()
    page.wait_for_function(f"document.documentElement.lang === '{code}'")


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_phone_header_is_one_row_with_a_menu(
    page, login, screenshot, console_errors, resident, hub, lang
):
    login(resident)
    page.goto("/book/")
    if lang == "nl":
        switch_language(page, "nl")
    header = page.locator(".site-header").bounding_box()
    assert header is not None and header["height"] < 60
    menu_button = page.locator("#site-menu > summary")
    assert menu_button.is_visible()
    nav = page.locator("#site-menu nav")
    assert not nav.is_visible()  # closed until asked
    assert no_horizontal_scroll(page)
    screenshot(f"header-closed-{lang}")
    menu_button.click()
    names = ["Book", "History", "My car"] if lang == "en" else ["Boeken", "Geschiedenis"]
    for name in names:
        assert nav.get_by_role("link", name=name, exact=True).is_visible()
    assert page.locator("#lang-select").is_visible()  # the language switch is in the menu
    assert no_horizontal_scroll(page)
    screenshot(f"header-open-{lang}")
    page.keyboard.press("Escape")
    assert not nav.is_visible()
    assert console_errors == []


def test_wide_screen_shows_the_menu_inline(page, login, console_errors, resident, hub):
    page.set_viewport_size({"width": 1280, "height": 800})
    login(resident)
    page.goto("/book/")
    assert not page.locator("#site-menu > summary").is_visible()
    assert page.locator("#site-menu nav").get_by_role("link", name="History").is_visible()
    header = page.locator(".site-header").bounding_box()
    assert header is not None and header["height"] < 80
    assert console_errors == []


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_installable_and_offline_page(page, login, screenshot, console_errors, resident, lang):
    login(resident)
    page.goto("/history/")
    if lang == "nl":
        switch_language(page, "nl")
    manifest = page.evaluate(
        "fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())"
    )
    assert manifest["display"] == "standalone" and manifest["lang"] == lang
    icon = page.evaluate(
        "fetch('/favicon.ico').then(r => [r.status, r.headers.get('content-type')])"
    )
    assert icon == [200, "image/png"]
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the worker
    page.wait_for_function("!!navigator.serviceWorker.controller")
    # The kept offline page follows the page's language.
    kept_language = """async () => {
        const names = await caches.keys();
        if (!names.length) return null;
        const kept = await (await caches.open(names[0])).match('/offline/');
        return kept && kept.headers.get('Content-Language');
    }"""
    for _ in range(50):
        if page.evaluate(kept_language) == lang:
            break
        page.wait_for_timeout(100)
    assert page.evaluate(kept_language) == lang
    page.context.set_offline(True)
    try:
        page.goto("/history/")
        heading = "You are offline" if lang == "en" else "Je bent offline"
        assert page.get_by_role("heading", name=heading).is_visible()
        assert no_horizontal_scroll(page)
        screenshot(f"offline-{lang}")
    finally:
        page.context.set_offline(False)
    assert [e for e in console_errors if "ERR_INTERNET_DISCONNECTED" not in e] == []
