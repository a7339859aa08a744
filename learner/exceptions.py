"""One error hierarchy for learner/, each message carrying the offending values."""

from collections.abc import Iterable, Mapping


class LearnerError(Exception):
    """Base class: callers catch this to handle every learner failure in one place."""


class UnknownStrategyError(LearnerError):
    """A query-strategy name that is not in the registry."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = tuple(sorted(known))
        super().__init__(f"Unknown strategy {name!r}; known: {', '.join(self.known)}.")


class NotEnoughLabelsError(LearnerError):
    """Too few labels to train, e.g. fewer than 2 distinct classes.

    `counts` maps each class seen to its number of labels, so the message says what is missing.
    """

    def __init__(self, counts: Mapping[object, int], needed_classes: int = 2) -> None:
        self.counts = dict(counts)
        self.needed_classes = needed_classes
        shown = ", ".join(f"{label!r}: {n}" for label, n in self.counts.items()) or "no labels"
        super().__init__(
            f"Need labels from at least {needed_classes} distinct classes, got {len(self.counts)} ({shown})."
        )
