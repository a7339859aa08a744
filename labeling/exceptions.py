"""Errors of the labeling app. Each carries a message for a person and the offending values.

The REST API turns them into `{"message": ..., "extra": {...}}` with `status_code`; management
commands turn them into a CommandError. Nothing is written when one is raised mid-service:
services run in a transaction.
"""

from typing import Any


class ApplicationError(Exception):
    status_code = 400

    def __init__(self, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class NotFoundError(ApplicationError):
    status_code = 404


class ProjectNotFoundError(NotFoundError):
    """Also raised for projects the user may not see, so their existence does not leak."""


class ItemNotInProjectError(ApplicationError):
    pass


class UnknownLabelClassError(ApplicationError):
    pass


class InvalidImportError(ApplicationError):
    pass


class InvalidProjectError(ApplicationError):
    pass


class EmbeddingsMissingError(ApplicationError):
    """A project with a pretrained encoder has items whose embeddings are not computed yet."""


class RetrainAlreadyActiveError(ApplicationError):
    """At most one retrain per project is queued or running."""

    status_code = 409


class InvalidReplayError(ApplicationError):
    """A strategy replay that cannot run: unknown strategy, too few labels, bad sizes."""


class ReplayAlreadyActiveError(ApplicationError):
    """At most one strategy replay per project is queued or running."""

    status_code = 409


class ItemNotHeldError(ApplicationError):
    """A label for an item this annotator no longer holds (another tab answered it, or another
    annotator has it now): refused, never saved over anyone's answer."""

    status_code = 409


class BudgetReachedError(ApplicationError):
    """The project has spent its label budget; an admin raises it to go on."""

    status_code = 409


class InvalidSkipError(ApplicationError):
    """A skip with an unknown reason, or a note skip without its note."""


class NothingToRetrainError(ApplicationError):
    """"Retrain now" with no label the newest model has not seen: another version would be the same."""

    status_code = 409


class RoleForbiddenError(ApplicationError):
    """A member whose role on the project does not allow the action (a viewer labeling, an
    annotator changing settings). Only members see it: others get ProjectNotFoundError."""

    status_code = 403


class MemberNotFoundError(NotFoundError):
    """A user id that is not a member of the project (changing or removing a role)."""


class LastOwnerError(ApplicationError):
    """Removing or demoting the project's only owner: nobody could manage it any more."""


class ModelNotExportableError(ApplicationError):
    """A model version with no file to hand out yet (queued, running, failed), or a kind of model
    the documented file format does not describe."""

    status_code = 409


class ItemNotInReviewError(ApplicationError):
    """A reviewer's decision for an item the policy resolved on its own, or that has no labels."""

    status_code = 409


class InvalidExportError(ApplicationError):
    """An export the project cannot give: a format for the other modality."""


class InvalidGoldError(ApplicationError):
    """Gold answers that cannot be marked: unknown items or classes, evaluation items, labeled items."""
