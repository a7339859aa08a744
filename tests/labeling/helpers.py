"""Steps many labeling tests take: label the next unlabeled pool items, retrain in-process."""

from django.utils import timezone

from labeling.models import Assignment, Item, Label, ModelVersion
from labeling.selectors.answers import answer_current
from labeling.services.assignments import lease_ttl
from labeling.services.labels import label_submit
from labeling.services.training import model_version_request
from labeling.tasks import model_version_train


def give(item_id, annotator) -> Assignment:
    """Hand the item to the annotator, as the queue would: answers are taken only for held items."""
    open_lease = Assignment.objects.filter(item_id=item_id, status="open").first()
    if open_lease is not None and open_lease.annotator_id == annotator.pk:
        return open_lease
    return Assignment.objects.create(item_id=item_id, annotator=annotator, expires_at=timezone.now() + lease_ttl())


def label_item(*, project, item_id, annotator, class_name, duration_ms=0) -> Label:
    """Label an item whatever the queue would serve: hand it over first, or change the annotator's answer."""
    current = answer_current(item_id=item_id, annotator=annotator)
    if current is None:
        give(item_id, annotator)
    label_submit(project=project, item_id=item_id, annotator=annotator, class_name=class_name,
                 duration_ms=duration_ms, previous=current.as_dict() if current else None)  # fmt: skip
    return Label.objects.select_related("label_class").get(item_id=item_id, annotator=annotator)


def label_unlabeled(project, annotator, n, *, only_class=None) -> None:
    """Label the first `n` unlabeled pool items (by id) with their gold class, or with `only_class`."""
    items = Item.objects.filter(project=project, split="pool", labels__isnull=True).select_related("gold_class")
    for item in items.order_by("id")[:n]:
        name = only_class or item.gold_class.name
        label_item(project=project, item_id=item.pk, annotator=annotator, class_name=name)


def label_in_cold_order(project, annotator, n, *, only_class=None) -> None:
    """Label the first `n` pool items in cold-start order (what annotators see before any model)
    with their gold class, or with `only_class`."""
    items = Item.objects.filter(project=project, split="pool").select_related("gold_class").order_by("cold_rank")
    for item in items[:n]:
        name = only_class or item.gold_class.name
        label_item(project=project, item_id=item.pk, annotator=annotator, class_name=name)


def train_now(project) -> ModelVersion:
    """Queue a retrain and run the task in this process; the finished (or failed) version."""
    version = model_version_request(project=project, force=True)
    model_version_train(version.pk)
    version.refresh_from_db()
    return version


def lose_the_row_while_training(monkeypatch, version: ModelVersion) -> None:
    """Make the next retrain find its row failed once training is over, as when the sweep gave up
    on it meanwhile: the run then cannot publish and must clean up after itself."""
    from learner.training import run_round

    def train_then_lose_the_row(**kwargs):
        result = run_round(**kwargs)
        ModelVersion.objects.filter(pk=version.pk).update(
            status=ModelVersion.Status.FAILED, error="The worker was lost 3 times (no heartbeat for 0:02:00); gave up."
        )
        return result

    monkeypatch.setattr("labeling.services.training.run_round", train_then_lose_the_row)
