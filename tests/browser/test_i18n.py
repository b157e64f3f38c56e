"""Switching to Dutch shows the pages in Dutch, from the project's own catalogue."""

from __future__ import annotations

import pytest

from tests.browser.conftest import open_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_switching_to_dutch_translates_the_booking_pages(page, login, screenshot, resident, hub):
    login(resident)
    page.goto("/book/")
    assert page.get_by_role("heading", name="Book a car").is_visible()
    open_menu(page)
    page.get_by_label("Language").select_option("nl")
    page.get_by_role("button", name="Switch").click()
    page.get_by_role("heading", name="Een auto boeken").wait_for()
    assert page.locator("html").get_attribute("lang") == "nl"
    open_menu(page)
    nav = page.get_by_role("navigation", name="Hoofdmenu")
    for text in ("Boeken", "Mijn auto", "Geschiedenis", "Afmelden"):
        assert nav.get_by_text(text, exact=True).is_visible()
    assert page.get_by_label("Benodigde actieradius (km)").is_visible()
    assert page.get_by_role("button", name="Beschikbaarheid bekijken").is_visible()
    screenshot("book-nl")
    page.get_by_role("link", name="Mijn boekingen").click()
    assert page.get_by_role("heading", name="Komende boekingen").is_visible()
