"""The annotator's page in real Chromium (Debian's package) against a live server, as an expert uses it."""

import os
import shutil
import statistics

import pytest
from django.db import connections

from labeling.models import Label, LabelChange, Skip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DIGITS = tuple(str(d) for d in range(10))


@pytest.fixture
def browser(live_server):
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
        yield browser
        browser.close()
        # ORM calls made while Playwright runs get their own connection (Django keys connections
        # by context); close it, or it keeps the test database from being dropped.
        connections.close_all()


@pytest.fixture
def page(browser):
    return browser.new_page()


def log_in(page, live_server, username="ann"):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def open_annotate(page, live_server, project):
    page.goto(f"{live_server.url}/projects/{project.pk}/annotate/")
    return shown_item(page)


def shown_item(page) -> int:
    """The item on screen, once it is drawn (keys pressed before that are ignored on purpose)."""
    page.wait_for_function("document.querySelector('.item').dataset.itemId !== '' && "
                           "document.querySelector('.item').dataset.shown === '1'")  # fmt: skip
    return int(page.get_attribute(".item", "data-item-id"))


def next_item(page, previous: int) -> int:
    page.wait_for_function(f"document.querySelector('.item').dataset.itemId !== '{previous}'")
    return shown_item(page)


def all_saved(page) -> None:
    page.wait_for_function("document.getElementById('saving').textContent === 'All saved'")


def test_the_key_printed_on_a_digit_button_is_the_digit_it_saves(page, live_server, make_digits_project, annotator):
    project = make_digits_project(per_class=2, classes=DIGITS, min_visible_ms=0)
    log_in(page, live_server)
    page.get_by_role("link", name="Label", exact=True).click()
    first = shown_item(page)
    assert page.locator('.choice[data-label="3"] kbd').inner_text() == "3"

    page.keyboard.press("3")

    next_item(page, first)
    all_saved(page)
    label = Label.objects.get()
    assert (label.item_id, label.label_class.name, label.annotator) == (first, "3", annotator)
    assert label.duration_ms > 0
    assert "1 / 500 labels" in page.locator("#status").inner_text()
    assert "1 this session" in page.locator("#status").inner_text()
    assert page.evaluate("document.activeElement.id") == "item-panel"  # focus stays on the panel
    assert project.pk


def test_a_key_pressed_before_the_item_was_visible_is_ignored_with_a_flash(page, live_server, make_digits_project):
    project = make_digits_project(per_class=2, classes=DIGITS, min_visible_ms=3000)
    log_in(page, live_server)
    first = open_annotate(page, live_server, project)

    page.keyboard.press("3")

    page.wait_for_selector("#message:not([hidden])")
    assert "Too fast" in page.locator("#message").inner_text()
    assert shown_item(page) == first and not Label.objects.exists()


def test_backspace_undoes_the_last_label_and_shows_that_item_again(page, live_server, make_digits_project):
    project = make_digits_project(per_class=2, classes=DIGITS, min_visible_ms=0)
    log_in(page, live_server)
    first = open_annotate(page, live_server, project)
    page.keyboard.press("4")
    next_item(page, first)
    all_saved(page)

    page.keyboard.press("Backspace")

    page.wait_for_function(f"document.querySelector('.item').dataset.itemId === '{first}'")
    assert shown_item(page) == first
    all_saved(page)
    assert not Label.objects.exists()
    assert [c.label_class_id is None for c in LabelChange.objects.order_by("id")] == [False, True]
    page.keyboard.press("5")
    next_item(page, first)
    all_saved(page)
    assert Label.objects.get().label_class.name == "5"


def test_the_history_strip_reopens_an_item_and_changes_its_answer(page, live_server, make_digits_project):
    project = make_digits_project(per_class=2, classes=DIGITS, min_visible_ms=0)
    log_in(page, live_server)
    first = open_annotate(page, live_server, project)
    page.keyboard.press("1")
    second = next_item(page, first)
    page.keyboard.press("2")
    next_item(page, second)
    all_saved(page)

    page.locator("#history button").nth(1).click()  # newest first: the second is the first item
    assert shown_item(page) == first
    assert "Changing your answer “1”" in page.locator("#reopened").inner_text()
    page.keyboard.press("7")
    next_item(page, first)
    all_saved(page)

    assert Label.objects.get(item_id=first).label_class.name == "7"
    assert [c.previous_class.name for c in LabelChange.objects.filter(item_id=first, previous_class__isnull=False)] == [
        "1"
    ]


def test_skip_keys_save_the_reason_and_train_nothing(page, live_server, make_digits_project):
    project = make_digits_project(per_class=2, classes=DIGITS, min_visible_ms=0)
    log_in(page, live_server)
    first = open_annotate(page, live_server, project)
    page.keyboard.press("Shift+U")
    second = next_item(page, first)
    page.keyboard.press("Shift+N")
    page.fill("#note-text", "two digits in one image")
    page.keyboard.press("Enter")
    next_item(page, second)
    all_saved(page)

    assert sorted(Skip.objects.values_list("reason", "note")) == [("note", "two digits in one image"), ("unsure", "")]
    assert not Label.objects.exists()
    assert "skipped 1 note, 1 unsure" in page.locator("#status").inner_text()  # counted per reason


def test_a_stale_tab_gets_the_409_message_and_the_saved_label_stays(browser, live_server, make_digits_project):
    project = make_digits_project(per_class=2, classes=DIGITS, min_visible_ms=0)
    context = browser.new_context()
    first_tab, second_tab = context.new_page(), context.new_page()
    log_in(first_tab, live_server)
    item = open_annotate(first_tab, live_server, project)
    assert open_annotate(second_tab, live_server, project) == item  # one annotator, one held queue

    first_tab.keyboard.press("1")
    all_saved(first_tab)
    second_tab.keyboard.press("2")

    second_tab.wait_for_selector("#message.error:not([hidden])")
    assert f"Item {item} was already labeled '1'" in second_tab.locator("#message").inner_text()
    assert Label.objects.get().label_class.name == "1"


def test_a_500_shows_a_message_and_the_retry_saves_the_label_once(page, live_server, make_digits_project):
    project = make_digits_project(per_class=2, classes=DIGITS, min_visible_ms=0)
    log_in(page, live_server)
    failed = []

    def answer_500_once(route):
        response = route.fetch()  # the server saves the label ...
        if not failed:
            failed.append(response.status)
            route.fulfill(status=500, body="Server Error")  # ... but the page hears a 500
        else:
            route.fulfill(response=response)

    page.route(lambda url: "/labels/" in url, answer_500_once)
    first = open_annotate(page, live_server, project)
    page.keyboard.press("6")

    page.wait_for_selector("#message.error:not([hidden])")
    assert "The server answered 500" in page.locator("#message").inner_text()
    all_saved(page)  # the retry, with the same idempotency key
    assert failed == [201]
    assert [(label.item_id, label.label_class.name) for label in Label.objects.all()] == [(first, "6")]
    assert LabelChange.objects.count() == 1


def test_an_expired_session_goes_to_the_login_and_back_to_the_same_item(browser, live_server, make_digits_project):
    project = make_digits_project(per_class=2, classes=DIGITS, min_visible_ms=0)
    context = browser.new_context()
    page = context.new_page()
    log_in(page, live_server)
    first = open_annotate(page, live_server, project)
    page.keyboard.press("2")
    second = next_item(page, first)
    all_saved(page)
    context.clear_cookies()  # the session is gone

    page.keyboard.press("3")
    page.wait_for_url("**/login/**")
    page.fill("input[name=username]", "ann")
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("button[type=submit]")

    page.wait_for_url(f"**/projects/{project.pk}/annotate/?item=*")
    all_saved(page)  # the label pressed while logged out is sent after the login
    assert sorted((label.item_id, label.label_class.name) for label in Label.objects.all()) == sorted(
        [(first, "2"), (second, "3")]
    )


def test_the_budget_stops_the_page(page, live_server, make_digits_project):
    project = make_digits_project(per_class=2, classes=DIGITS, min_visible_ms=0, label_budget=1)
    log_in(page, live_server)
    open_annotate(page, live_server, project)
    page.keyboard.press("1")

    page.wait_for_selector("text=The label budget is spent")
    assert Label.objects.count() == 1
    page.reload()
    page.wait_for_selector("text=The label budget is spent")
    assert "budget reached" in page.locator("#status").inner_text()


def test_model_view_guidelines_and_keys_on_request(page, live_server, make_digits_project):
    project = make_digits_project(per_class=2, classes=DIGITS, min_visible_ms=0)
    project.instructions = "Label the **digit** you see."
    project.save()
    log_in(page, live_server)
    open_annotate(page, live_server, project)
    assert page.locator("#model-view").is_hidden() and page.locator("#guidelines").is_hidden()

    page.keyboard.press("Shift+M")
    assert "seeded random order" in page.locator("#model-view").inner_text()
    page.keyboard.press("Shift+G")
    assert page.locator("#guidelines strong").inner_text() == "digit"
    page.keyboard.press("?")
    assert page.locator("#help").is_visible() and "Undo the last answer" in page.locator("#help").inner_text()
    page.keyboard.press("Escape")
    assert page.locator("#help").is_hidden()


def test_images_zoom_and_adjust(page, live_server, make_digits_project):
    project = make_digits_project(per_class=2, classes=DIGITS, min_visible_ms=0)
    log_in(page, live_server)
    open_annotate(page, live_server, project)
    page.wait_for_function("document.querySelector('.item-image').complete")
    width = lambda: page.evaluate("document.querySelector('.item-image').getBoundingClientRect().width")  # noqa: E731
    fitted = width()
    page.keyboard.press("+")
    assert width() > fitted * 1.2
    page.keyboard.press("Shift+O")
    assert width() == pytest.approx(8, abs=0.5)  # an 8x8 digit at one image pixel per screen pixel
    page.keyboard.press("]")
    assert "brightness(1.1)" in page.evaluate("document.querySelector('.item-image').style.filter")
    page.keyboard.press("Shift+R")
    assert width() == pytest.approx(fitted, abs=0.5)


def test_long_texts_keep_their_paragraphs_and_the_buttons_stay_in_view(page, live_server, annotator):
    from labeling.readers import TextRecord
    from labeling.services.imports import items_import_texts
    from labeling.services.projects import project_create, project_member_add

    project = project_create(name="reviews", modality="text", class_names=["fresh", "rotten"], min_visible_ms=0)
    long_text = "\n\n".join(f"Paragraph {i}: " + "a long sentence about the film. " * 20 for i in range(6))
    records = [TextRecord(text=long_text, source_name="r1", class_name=None),
               TextRecord(text="short", source_name="r2", class_name=None)]  # fmt: skip
    items_import_texts(project=project, records=records)
    project_member_add(project=project, user=annotator)
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server)
    open_annotate(page, live_server, project)

    assert page.locator(".text-item p").count() == 6
    button = page.locator('.choice[data-label="fresh"]').bounding_box()
    assert button["y"] + button["height"] <= 800  # still on screen under a 3,000-character text


@pytest.mark.parametrize("path", ["annotate", "list"])
def test_pages_fit_a_390_px_phone_without_sideways_scrolling(page, live_server, make_digits_project, path):
    project = make_digits_project(per_class=2, classes=DIGITS, min_visible_ms=0)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server)
    if path == "annotate":
        open_annotate(page, live_server, project)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    sizes = page.evaluate("[...document.querySelectorAll('button:not([hidden])')].filter(b => b.offsetParent)"
                          ".map(b => [b.offsetWidth, b.offsetHeight])")  # fmt: skip
    assert all(w >= 44 and h >= 44 for w, h in sizes)


def test_keypress_to_next_item_latency_is_measured(page, live_server, make_digits_project):
    """A benchmark, not a timed assertion: the figures go to bench/results/."""
    project = make_digits_project(per_class=6, classes=DIGITS, min_visible_ms=0, eval_fraction=0.0)
    log_in(page, live_server)
    item = open_annotate(page, live_server, project)
    for n in range(40):
        page.wait_for_timeout(120)  # an expert's pace, and past the visibility guard
        page.keyboard.press(str(n % 10))
        item = next_item(page, item)
    all_saved(page)
    latencies = page.evaluate("window.tweezerLatencies")

    assert len(latencies) == 40 and Label.objects.count() == 40
    write_latency(latencies, "annotate-latency-browser-test", "pytest tests/frontend/test_browser.py -k latency")


def write_latency(latencies: list[float], name: str, command: str) -> None:
    from bench.report import write

    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    row = {"n": len(ordered), "p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1),
           "max_ms": round(ordered[-1], 1)}
    write(name, [row], {"what": "keypress to next item shown, headless Chromium, live test server"}, ran=command)


def test_the_dashboard_chart_has_a_point_per_version_and_fits_a_phone(page, live_server, make_digits_project,
                                                                      admin_user):  # fmt: skip
    from labeling.models import ModelVersion

    project = make_digits_project(per_class=2, classes=DIGITS, label_budget=100)
    for number, labels, accuracy in [(1, 20, 0.7), (2, 40, 0.8), (3, 60, 0.85)]:
        ModelVersion.objects.create(project=project, number=number, strategy="entropy", status="done",
                                    labels_used=labels, metrics={"eval_accuracy": accuracy, "n_eval": 40})  # fmt: skip
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, username="boss")
    page.goto(f"{live_server.url}/projects/{project.pk}/dashboard/")

    points = page.eval_on_selector_all(
        "svg.chart .point", "gs => gs.map(g => [+g.dataset.version, +g.dataset.labels, +g.dataset.value])"
    )
    assert points == [[1, 20, 0.7], [2, 40, 0.8], [3, 60, 0.85]]
    assert page.locator("svg.chart .budget").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert "budget-ok" in page.get_attribute(".budget-bar", "class")


def test_staff_create_a_project_and_upload_a_zip_then_a_csv_in_the_browser(page, live_server, admin_user, tmp_path):
    import io
    import zipfile

    import numpy as np
    from PIL import Image

    from labeling.models import Item, Project

    archive = tmp_path / "digits.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("three", "five"):
            for i in range(3):
                buffer = io.BytesIO()
                Image.fromarray(np.full((8, 8), 40 * i, dtype=np.uint8)).save(buffer, format="PNG")
                zf.writestr(f"digits/{name}/{name}{i}.png", buffer.getvalue())
    log_in(page, live_server, username="boss")
    page.get_by_role("link", name="New project").click()
    page.fill("input[name=name]", "digits from a zip")
    page.fill("textarea[name=classes]", "three, five")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/import/")
    page.set_input_files("input[name=files]", str(archive))
    page.click("button[type=submit].primary")
    page.wait_for_url("**/dashboard/")
    assert "Imported 6 items to label and 0 held out" in page.content()
    project = Project.objects.get(name="digits from a zip")
    assert sorted(Item.objects.filter(project=project).values_list("gold_class__name", flat=True)) == ["five"] * 3 + [
        "three"
    ] * 3

    csv = tmp_path / "reviews.csv"
    csv.write_text("text,label\nA fine film.,fresh\nDull.,rotten\n")
    page.goto(f"{live_server.url}/projects/new/")
    page.fill("input[name=name]", "reviews")
    page.check("input[name=modality][value=text]")
    page.fill("textarea[name=classes]", "fresh\nrotten")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/import/")
    bad = tmp_path / "reviews.txt"
    bad.write_text("nope")
    page.set_input_files("input[name=files]", str(bad))
    page.click("button[type=submit].primary")
    assert "expected a .csv, .jsonl or Label Studio .json file" in page.locator(".error").inner_text()
    page.set_input_files("input[name=files]", str(csv))
    page.click("button[type=submit].primary")
    page.wait_for_url("**/dashboard/")
    assert Item.objects.filter(project__name="reviews").count() == 2


def test_the_budget_meter_turns_amber_then_red_and_the_annotator_table_names_who_labeled(
    page, live_server, make_digits_project, admin_user, annotator
):
    from tests.labeling.helpers import label_unlabeled

    project = make_digits_project(per_class=2, classes=DIGITS, label_budget=100)
    label_unlabeled(project, annotator, 9)
    log_in(page, live_server, username="boss")
    page.goto(f"{live_server.url}/projects/{project.pk}/dashboard/")
    colour = "getComputedStyle(document.querySelector('.budget-bar span')).backgroundColor"
    assert page.evaluate(colour) == "rgb(6, 118, 71)"  # green at 9%
    assert page.locator("#annotators tbody tr").first.inner_text().split("\t")[:2] == ["ann", "9"]

    for budget, state, rgb in [("10", "warn", "rgb(181, 71, 8)"), ("9", "over", "rgb(196, 50, 10)")]:
        page.fill("input[name=label_budget]", budget)
        page.get_by_role("button", name="Set budget").click()
        page.wait_for_selector(f".budget-bar.budget-{state}")
        assert page.evaluate(colour) == rgb  # amber at 90%, red at 100%
