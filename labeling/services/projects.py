from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from labeling.exceptions import InvalidProjectError
from labeling.models import LabelClass, Membership, Project
from learner.metrics import default_metric
from learner.ranking import DEFAULT_STRATEGY


@transaction.atomic
def project_create(
    *,
    name: str,
    modality: str,
    class_names: Sequence[str],
    label_budget: int = 500,
    retrain_every: int = 20,
    strategy: str = DEFAULT_STRATEGY,
    metric: str = Project.Metric.AUTOMATIC,
    encoder: str = "",
    diverse_batches: bool = True,
    committee_size: int = 5,
    density_beta: float = 1.0,
    adaptation: str = Project.Adaptation.NONE,
    finetune_last_block: bool = False,
    seed: int = 0,
    prefetch: int = 4,
    audit_fraction: float = 0.05,
    min_visible_ms: int = 150,
    labels_per_item: int = 1,
    resolution: str = Project.Resolution.MAJORITY,
    gold_rate: float = 0.1,
) -> Project:
    names = [n.strip() for n in class_names]
    if len(names) < 2 or any(not n for n in names) or len(set(names)) != len(names):
        raise InvalidProjectError(
            "A project needs at least two distinct, non-empty class names.", {"class_names": list(class_names)}
        )
    project = Project(
        name=name,
        modality=modality,
        label_budget=label_budget,
        retrain_every=retrain_every,
        strategy=strategy,
        metric=metric,
        encoder=encoder,
        diverse_batches=diverse_batches,
        committee_size=committee_size,
        density_beta=density_beta,
        adaptation=adaptation,
        finetune_last_block=finetune_last_block,
        seed=seed,
        prefetch=prefetch,
        audit_fraction=audit_fraction,
        min_visible_ms=min_visible_ms,
        labels_per_item=labels_per_item,
        resolution=resolution,
        gold_rate=gold_rate,
    )
    try:
        project.full_clean()
    except ValidationError as exc:
        problems = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
        raise InvalidProjectError(f"Invalid project {name!r}: {problems}", exc.message_dict) from exc
    project.save()
    LabelClass.objects.bulk_create(LabelClass(project=project, name=n, position=i) for i, n in enumerate(names))
    return project


def project_member_add(
    *, project: Project, user: AbstractBaseUser, role: str = Membership.Role.ANNOTATOR
) -> Membership:
    """Give an account a role on the project; an existing member's role changes to `role`."""
    if role not in Membership.Role.values:
        raise InvalidProjectError(f"Unknown role {role!r}; roles: {', '.join(Membership.Role.values)}.", {"role": role})
    membership, _ = Membership.objects.update_or_create(project=project, user=user, defaults={"role": role})
    return membership


def project_budget_set(*, project: Project, label_budget: int) -> Project:
    """Change the label budget; annotators get items again as soon as it is above the labels spent."""
    if label_budget < 1:
        raise InvalidProjectError(f"The label budget must be at least 1 label, not {label_budget}.",
                                  {"label_budget": label_budget})  # fmt: skip
    return project_update(project=project, label_budget=label_budget)


def project_metric_resolve(*, project: Project, labels: Sequence[str]) -> str:
    """The project's metric; an automatic one is chosen once from `labels` (macro-F1 when the
    classes are imbalanced, else accuracy) and saved, so it never changes between versions."""
    if project.metric:
        return project.metric
    chosen = default_metric(list(labels))
    Project.objects.filter(pk=project.pk, metric=Project.Metric.AUTOMATIC).update(metric=chosen)
    project.refresh_from_db(fields=["metric"])
    return project.metric


_EDITABLE = ("label_budget", "retrain_every", "strategy", "labels_per_item", "resolution", "gold_rate", "target_score")


def project_update(*, project: Project, **changes: object) -> Project:
    """Change a project's budget, retrain_every, strategy, labels per item, resolution policy or gold
    rate, or target score, validated as at creation. Fewer labels per item than before leaves existing labels as they
    are: items that already have more simply resolve from all of them."""
    unknown = sorted(set(changes) - set(_EDITABLE))
    if unknown:
        raise InvalidProjectError(f"Cannot change {unknown} here; editable: {list(_EDITABLE)}.", {"fields": unknown})
    for field, value in changes.items():
        setattr(project, field, value)
    try:
        project.full_clean()
    except ValidationError as exc:
        project.refresh_from_db()
        problems = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
        raise InvalidProjectError(f"Invalid settings for {project.name!r}: {problems}", exc.message_dict) from exc
    project.save(update_fields=list(changes))
    return project
