"""Shared bits of the management commands: find a project, turn app errors into CLI errors."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import CommandError

from labeling.exceptions import ApplicationError
from labeling.models import Project


def project_by_name_or_id(value: str) -> Project:
    project = Project.objects.filter(pk=int(value)).first() if value.isdigit() else None
    project = project or Project.objects.filter(name=value).first()
    if project is None:
        raise CommandError(f"No project named or numbered {value!r}.")
    return project


@contextmanager
def cli_errors() -> Iterator[None]:
    try:
        yield
    except ApplicationError as exc:
        raise CommandError(exc.message) from exc
