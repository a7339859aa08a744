"""Who may do what on a project: one table from roles to actions, one lookup that every page and
endpoint goes through.

Staff accounts (the site's admins) may do everything on every project. Everyone else acts
through their Membership's role. A project that does not exist and a project the user is not a
member of raise the same ProjectNotFoundError with the same message, so an id tells a stranger
nothing; a member whose role lacks the action gets RoleForbiddenError (403) naming the role.

Annotators do not READ results (other annotators' labels, metrics, exports): their labels stay
independent, which is what agreement between them measures.
"""

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from labeling.exceptions import NotFoundError, ProjectNotFoundError, RoleForbiddenError
from labeling.models import Assignment, Item, Label, Membership, Project, Skip

Role = Membership.Role


class Action(StrEnum):
    OPEN = "open"  # see the project, its classes and guidelines
    ANNOTATE = "annotate"  # take items and label them
    REVIEW = "review"  # decide items in disagreement
    READ = "read"  # dashboard, versions, replays, exports, predictions, the model
    MANAGE = "manage"  # settings, budget, members, imports, gold items, retrains, replays


ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.REVIEWER: frozenset({Action.OPEN, Action.ANNOTATE, Action.REVIEW, Action.READ}),
    Role.ANNOTATOR: frozenset({Action.OPEN, Action.ANNOTATE}),
    Role.VIEWER: frozenset({Action.OPEN, Action.READ}),
}

_VERB = {
    Action.OPEN: "open",
    Action.ANNOTATE: "label items in",
    Action.REVIEW: "review",
    Action.READ: "read the results of",
    Action.MANAGE: "manage",
}


def projects_visible_to(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Project]:
    """Projects a user may open: every one for staff, their memberships' for everyone else."""
    if not user.is_authenticated:
        return Project.objects.none()
    if user.is_staff:
        return Project.objects.all()
    return Project.objects.filter(memberships__user=user)


def role_of(*, user: AbstractBaseUser | AnonymousUser, project: Project) -> str | None:
    """The user's role on the project (staff count as owners), or None for a non-member."""
    if not user.is_authenticated:
        return None
    if user.is_staff:
        return Role.OWNER
    return Membership.objects.filter(project=project, user_id=user.pk).values_list("role", flat=True).first()


def can(*, user: AbstractBaseUser | AnonymousUser, project: Project, action: Action) -> bool:
    role = role_of(user=user, project=project)
    return role is not None and action in ROLE_ACTIONS[role]


def project_for(*, user: AbstractBaseUser | AnonymousUser, project_id: int, action: Action) -> Project:
    """The project, if the user may do `action` on it.

    ProjectNotFoundError when it does not exist or the user is not a member (the same message
    either way); RoleForbiddenError when the member's role does not allow the action.
    """
    project, role = _project_and_role(user, project_id)
    if project is None or role is None:
        raise ProjectNotFoundError(f"Project {project_id} does not exist or is not yours.", {"project": project_id})
    if action not in ROLE_ACTIONS[role]:
        raise RoleForbiddenError(
            f"As {role} of project {project_id} you cannot {_VERB[action]} it; ask its owner for another role.",
            {"project": project_id, "role": role, "action": str(action)},
        )
    return project


# The project and the caller's membership role, in one round trip. Plain SQL because every request
# asks it: the ORM spent more CPU compiling the subquery than PostgreSQL spent running it.
_PROJECT_AND_ROLE = f"""
SELECT p.*, m.role AS member_role FROM {Project._meta.db_table} p
LEFT JOIN {Membership._meta.db_table} m ON m.project_id = p.id AND m.user_id = %s
WHERE p.id = %s
"""
_BIGINT = 2**63


def _project_and_role(user: AbstractBaseUser | AnonymousUser, project_id: int) -> tuple[Project | None, str | None]:
    """The project and the user's role on it (every request asks both); (None, None) for an id no
    row can have."""
    if not 0 < project_id < _BIGINT:
        return None, None
    rows = Project.objects.raw(_PROJECT_AND_ROLE, [user.pk if user.is_authenticated else None, project_id])
    project = next(iter(rows), None)
    if project is None or not user.is_authenticated:
        return project, None
    return project, Role.OWNER if user.is_staff else project.member_role


def item_image_for(*, user: AbstractBaseUser | AnonymousUser, item_id: int) -> Item:
    """The item, if the user may see its image.

    READ roles see every item of the project. An annotator sees only what their work shows them:
    items they hold or have answered, and the classes' examples in the guidelines; never an
    evaluation item, whose label must not be learned from its picture. Everything else, a missing
    item included, raises the same NotFoundError, so ids tell nobody which items exist.
    """
    item = Item.objects.select_related("project").filter(pk=item_id).first()
    role = role_of(user=user, project=item.project) if item is not None else None
    if item is not None and role is not None:
        actions = ROLE_ACTIONS[role]
        if Action.READ in actions:
            return item
        if Action.ANNOTATE in actions and item.split != Item.Split.EVAL and _seen_at_work(item=item, user=user):
            return item
    raise NotFoundError(f"Item {item_id} does not exist or is not yours.", {"item": item_id})


def _seen_at_work(*, item: Item, user: AbstractBaseUser | AnonymousUser) -> bool:
    """Held by the user, answered by them (label or skip), or shown as a class example."""
    mine = {"item": OuterRef("pk"), "annotator_id": user.pk}
    return Item.objects.filter(pk=item.pk).filter(
        Exists(Assignment.objects.filter(**mine, status=Assignment.Status.OPEN))
        | Exists(Label.objects.filter(**mine))
        | Exists(Skip.objects.filter(**mine))
        | Q(example_of__isnull=False)
    ).exists()  # fmt: skip
