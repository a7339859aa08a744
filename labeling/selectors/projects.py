from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from labeling.exceptions import UnknownLabelClassError
from labeling.models import EmbeddingSet, Item, Label, LabelClass, Membership, ModelVersion, Project
from labeling.permissions import ROLE_ACTIONS, projects_visible_to
from labeling.selectors.serving import label_class_named


def project_list_for_user(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Project]:
    """Projects a user may open: all for staff, their memberships' for everyone else."""
    return projects_visible_to(user=user)


def labels_spent(*, project: Project) -> int:
    """Answers given in the project: what the label budget counts (skips and answers on gold items,
    which check annotators, are not labels). Read from the counter labeling.services.budget keeps."""
    return Project.objects.values_list("labels_spent", flat=True).get(pk=project.pk)


def labeled_item_count(*, project: Project) -> int:
    """Labeled items a model trains on: audit items measure it instead; gold items train on their
    known answer, answered or not."""
    labeled = Exists(Label.objects.filter(item=OuterRef("pk")))
    trained = Q(labeled, audit=False, gold=False) | Q(gold=True)
    return Item.objects.filter(project=project).filter(trained).count()


@dataclass(frozen=True)
class ProjectProgress:
    labels_spent: int
    label_budget: int
    labeled_items: int
    pool_items: int
    eval_items: int
    latest_version: ModelVersion | None
    labels_behind: int  # labels the newest finished model has not seen yet
    embeddings: EmbeddingSet | None  # the project encoder's embeddings and their progress; None without one

    @property
    def budget_used_percent(self) -> float:
        return 100.0 * self.labels_spent / self.label_budget if self.label_budget else 0.0


def project_progress(*, project: Project) -> ProjectProgress:
    splits = dict(
        Item.objects.filter(project=project).values_list("split").annotate(n=Count("id")).values_list("split", "n")
    )
    labeled = Item.objects.filter(project=project).filter(Exists(Label.objects.filter(item=OuterRef("pk")))).count()
    latest = ModelVersion.objects.filter(project=project, status=ModelVersion.Status.DONE).order_by("-number").first()
    return ProjectProgress(
        labels_spent=labels_spent(project=project),
        label_budget=project.label_budget,
        labeled_items=labeled,
        pool_items=splits.get(Item.Split.POOL, 0),
        eval_items=splits.get(Item.Split.EVAL, 0),
        latest_version=latest,
        labels_behind=labeled_item_count(project=project) - (latest.labels_used if latest else 0),
        embeddings=EmbeddingSet.objects.filter(project=project, encoder=project.encoder, view=0).first()
        if project.encoder
        else None,
    )


@dataclass(frozen=True)
class ProjectRow:
    project: Project
    labels_spent: int
    label_budget: int
    latest_version: int | None  # number of the newest finished version
    role: str  # the user's role; staff act as owners
    allowed: frozenset[str]  # what the role may do (labeling.permissions.Action values)


def project_rows_for_user(*, user: AbstractBaseUser | AnonymousUser) -> list[ProjectRow]:
    """The project list's rows in one query however many projects there are."""
    newest = ModelVersion.objects.filter(project=OuterRef("pk"), status=ModelVersion.Status.DONE).order_by("-number")
    projects = project_list_for_user(user=user).annotate(
        newest=Subquery(newest.values("number")[:1]),
        role=Subquery(Membership.objects.filter(project=OuterRef("pk"), user_id=user.pk).values("role")[:1]),
    )
    rows = []
    for p in projects:
        role = Membership.Role.OWNER if user.is_staff else p.role
        rows.append(ProjectRow(p, p.labels_spent, p.label_budget, p.newest, role, ROLE_ACTIONS[role]))
    return rows


def label_class_by_name(*, project: Project, name: str) -> LabelClass:
    """The project's class called `name`; UnknownLabelClassError lists the classes there are."""
    label_class = label_class_named(project_id=project.pk, name=name)
    if label_class is None:
        known = list(project.label_classes.values_list("name", flat=True))
        raise UnknownLabelClassError(
            f"Unknown class {name!r} for project {project.name!r}; classes are {known}.",
            {"label": name, "classes": known},
        )
    return label_class
