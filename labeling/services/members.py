"""Who works on a project, with which role: add by user name, change a role, remove.

A project keeps at least one owner: removing or demoting the last one is refused, checked under
a row lock so two owners demoting each other at once cannot both succeed. Staff act as owners
everywhere without a membership, so they do not count.
"""

from django.contrib.auth import get_user_model
from django.db import transaction

from labeling.exceptions import InvalidProjectError, LastOwnerError, MemberNotFoundError
from labeling.models import Assignment, Membership, Project

Role = Membership.Role


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise InvalidProjectError(f"Unknown role {role!r}; roles: {', '.join(Role.values)}.", {"role": role})


def _membership_locked(*, project: Project, user_id: int) -> Membership:
    membership = Membership.objects.select_for_update().select_related("user").filter(
        project=project, user_id=user_id
    ).first()  # fmt: skip
    if membership is None:
        raise MemberNotFoundError(f"User {user_id} is not a member of project {project.pk}.",
                                  {"project": project.pk, "user": user_id})  # fmt: skip
    return membership


def _keep_an_owner(*, membership: Membership, new_role: str | None) -> None:
    """Refuse to leave the project without an owner (new_role None: the member leaves)."""
    if membership.role != Role.OWNER or new_role == Role.OWNER:
        return
    owners = list(
        Membership.objects.select_for_update()
        .filter(project_id=membership.project_id, role=Role.OWNER)
        .values_list("pk", flat=True)
    )
    if owners == [membership.pk]:
        what = "remove" if new_role is None else f"make {new_role}"
        raise LastOwnerError(
            f"Cannot {what} {membership.user.get_username()}: they are the only owner of project "
            f"{membership.project_id}. Make someone else owner first.",
            {"project": membership.project_id, "user": membership.user_id, "role": new_role},
        )


@transaction.atomic
def member_add(*, project: Project, username: str, role: str = Role.ANNOTATOR) -> Membership:
    """Add an existing account by its user name; an existing member keeps their role (change it instead)."""
    _check_role(role)
    name = username.strip()
    user = get_user_model().objects.filter(username=name).first()
    if user is None:
        raise InvalidProjectError(f"No account is called {name!r}; create it in the Django admin first.",
                                  {"username": username})  # fmt: skip
    existing = Membership.objects.filter(project=project, user=user).first()
    if existing is not None:
        raise InvalidProjectError(f"{name} is already {existing.role} of {project.name}; change their role instead.",
                                  {"username": name, "role": existing.role})  # fmt: skip
    return Membership.objects.create(project=project, user=user, role=role)


@transaction.atomic
def member_role_set(*, project: Project, user_id: int, role: str) -> Membership:
    _check_role(role)
    membership = _membership_locked(project=project, user_id=user_id)
    _keep_an_owner(membership=membership, new_role=role)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def member_remove(*, project: Project, user_id: int) -> None:
    """Take an account off the project; its labels stay, and items it held go back to the pool."""
    membership = _membership_locked(project=project, user_id=user_id)
    _keep_an_owner(membership=membership, new_role=None)
    membership.delete()
    Assignment.objects.filter(item__project=project, annotator_id=user_id, status=Assignment.Status.OPEN).update(
        status=Assignment.Status.EXPIRED
    )
