"""The reviewer's page in real Chromium (Debian's package): items in disagreement decided by keyboard."""

import pytest

from labeling.models import Item, Label, Membership, ReviewDecision
from labeling.services.projects import project_member_add
from tests.factories import UserFactory
from tests.frontend.test_browser import browser, log_in, page  # noqa: F401 - the same Chromium fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shown(page) -> int:  # noqa: F811
    page.wait_for_function("document.querySelector('.item').dataset.itemId !== ''")
    return int(page.get_attribute(".item", "data-item-id"))


def test_a_reviewer_decides_two_items_by_keyboard_and_skips_one(page, live_server, make_digits_project, tmp_path):  # noqa: F811
    project = make_digits_project(per_class=2, eval_fraction=0.0, labels_per_item=3, resolution="unanimous")
    annotators = [UserFactory(username=name) for name in ("ann", "bob", "cy")]
    reviewer = UserFactory(username="rev")
    project_member_add(project=project, user=reviewer, role=Membership.Role.REVIEWER)
    a, b, c = Item.objects.filter(project=project).order_by("id")[:3]
    classes = {lc.name: lc for lc in project.label_classes.all()}
    for item, given in ((a, "001"), (b, "122"), (c, "012")):
        for user, name in zip(annotators, given, strict=True):
            Label.objects.create(item=item, annotator=user, label_class=classes[name])

    log_in(page, live_server, "rev")
    page.goto(f"{live_server.url}/projects/{project.pk}/review/")
    assert shown(page) == a.pk
    assert page.locator("#answers").inner_text().startswith("ann: 0\nbob: 0\ncy: 1\nSuggested: 0")

    page.keyboard.press("Shift+S")  # leave a for later
    page.wait_for_function(f"document.querySelector('.item').dataset.itemId === '{b.pk}'")
    page.keyboard.press("Enter")  # accept b's suggestion, 2
    page.wait_for_function(f"document.querySelector('.item').dataset.itemId === '{c.pk}'")
    assert "No majority" in page.locator("#answers").inner_text()
    page.keyboard.press("1")  # decide c as 1
    page.wait_for_function(f"document.getElementById('message').textContent === 'Item {c.pk} decided: 1.'")
    assert shown(page) == a.pk  # the skipped item comes back last
    page.screenshot(path=str(tmp_path / "review.png"), full_page=True)

    decided = dict(ReviewDecision.objects.values_list("item_id", "label_class__name"))
    assert decided == {b.pk: "2", c.pk: "1"}
    assert page.locator("#review-count").inner_text() == "1 item in review"


def test_annotators_cannot_open_the_review_page(client, make_digits_project, annotator):
    project = make_digits_project(per_class=2)
    client.force_login(annotator)
    assert client.get(f"/projects/{project.pk}/review/").status_code == 403
