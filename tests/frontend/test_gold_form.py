"""The dashboard's gold-items form: lines of "item id, class" marked at once, or a message that
marks nothing; one item unmarked by its button."""

import pytest

from labeling.models import Item

pytestmark = pytest.mark.django_db


def test_owners_mark_and_unmark_gold_items_on_the_dashboard(client, admin_user, make_digits_project):
    project = make_digits_project(per_class=2, eval_fraction=0.0)
    a, b = Item.objects.filter(project=project).order_by("id")[:2]
    client.force_login(admin_user)
    url = f"/projects/{project.pk}/gold/"

    bad = client.post(url, {"answers": f"{a.pk}, 0\n{b.pk}, dog"}, follow=True).content.decode()
    assert "Nothing was marked: &#x27;dog&#x27; is not a class (classes: 0, 1, 2)." in bad
    assert not Item.objects.filter(gold=True).exists()

    good = client.post(url, {"answers": f"{a.pk}, 0\n{b.pk} 2\n"}, follow=True).content.decode()
    assert "2 item(s) marked as gold; the project has 2 gold items." in good
    assert f"Item {b.pk}: 2" in good and "Gold items (2)" in good

    client.post(url, {"unmark": str(a.pk)})
    assert list(Item.objects.filter(gold=True).values_list("pk", flat=True)) == [b.pk]
