"""Item.draw_key: a uniform random number per item, by which audit items are drawn."""

import random

from django.db import migrations, models


def draw_keys(apps, schema_editor):
    """A fresh key for every existing item (AddField's default gives all rows one value)."""
    item = apps.get_model("labeling", "Item")
    ids = list(item.objects.values_list("id", flat=True))
    for start in range(0, len(ids), 5000):
        chunk = [item(id=i, draw_key=random.random()) for i in ids[start : start + 5000]]
        item.objects.bulk_update(chunk, ["draw_key"])


class Migration(migrations.Migration):
    dependencies = [("labeling", "0014_budget_counters")]

    operations = [
        migrations.AddField(
            model_name="item",
            name="draw_key",
            field=models.FloatField(
                default=random.random,
                help_text="Uniform in [0, 1), fixed at creation: an audit item is the first free one from a random "
                "key on.",
            ),
        ),
        migrations.RunPython(draw_keys, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="item",
            index=models.Index(fields=["project", "split", "draw_key", "id"], name="item_pool_by_draw_key"),
        ),
    ]
