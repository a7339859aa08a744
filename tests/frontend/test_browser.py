"""Label with the keyboard in real Chromium (Debian's package) against a live server."""

import os
import shutil

import pytest
from django.db import connections

from labeling.models import Label

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def page(live_server):
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: apt-get install -y chromium (./tweezer test does it)")
    from playwright.sync_api import sync_playwright

    # Playwright runs an event loop in this thread; the ORM calls made by the test itself are
    # still plain synchronous calls between page actions.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser.new_page()
        browser.close()
        # ORM calls made while Playwright runs get their own connection (Django keys connections
        # by context); close it, or it keeps the test database from being dropped.
        connections.close_all()


def test_number_key_saves_the_label_and_shows_the_next_item(page, live_server, make_digits_project, annotator):
    make_digits_project(per_class=4)

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "ann")
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("link", name="Label", exact=True).click()
    first = page.get_attribute(".item", "data-item-id")
    page.wait_for_function("document.querySelector('.item img').complete")

    page.keyboard.press("3")

    page.wait_for_function(f"document.querySelector('.item').dataset.itemId !== '{first}'")
    label = Label.objects.get()
    assert (label.item_id, label.label_class.name, label.annotator) == (int(first), "2", annotator)
    assert label.duration_ms > 0
    assert page.locator(".status").inner_text().count("1 / 500 labels") == 1
