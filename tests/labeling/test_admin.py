import pytest
from django.contrib import admin

from tests.labeling.helpers import label_unlabeled

pytestmark = pytest.mark.django_db


def test_every_table_is_in_the_admin_and_its_list_filters_and_searches(client, admin_user, annotator,
                                                                      make_digits_project):  # fmt: skip
    project = make_digits_project(per_class=3)
    label_unlabeled(project, annotator, 2)
    labeling = [model for model in admin.site._registry if model._meta.app_label == "labeling"]
    tables = {"Project", "Item", "Label", "LabelChange", "Skip", "Assignment", "ModelVersion", "ItemScore",
              "StrategyReplay", "EmbeddingSet"}  # fmt: skip
    assert {m.__name__ for m in labeling} >= tables
    client.force_login(admin_user)
    for model in labeling:
        url = f"/admin/labeling/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url
        if admin.site._registry[model].search_fields:
            assert client.get(url, {"q": "d1"}).status_code == 200, url
    by_annotator = client.get("/admin/labeling/label/", {"annotator__id__exact": annotator.pk}).content.decode()
    assert "2 labels" in by_annotator
