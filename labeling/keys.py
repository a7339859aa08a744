"""Which keyboard key picks which class, and which keys the annotator's page keeps for actions.

The key printed on a button is the key that picks it, and it matches the class when it can: a
class named "3" is picked by 3, a class named "b" by b. Classes only ever get a digit or a
lower-case letter; every action (undo, skip, zoom, help) is a shifted letter or a punctuation
key, so the two can never clash, whatever the classes are called.
"""

from collections.abc import Sequence
from dataclasses import dataclass

CLASS_KEYS = "1234567890abcdefghijklmnopqrstuvwxyz"  # handed out in this order


@dataclass(frozen=True)
class Action:
    keys: tuple[str, ...]  # KeyboardEvent.key values, as the browser reports them
    label: str  # what the key does, for the `?` overlay


ACTIONS: dict[str, Action] = {
    "undo": Action(("Backspace", "Ctrl+z"), "Undo the last answer and show that item again"),
    "skip_unsure": Action(("U",), "Skip: unsure (another annotator may get it)"),
    "skip_bad": Action(("X",), "Skip: bad item (broken, off-topic; never trained on)"),
    "skip_note": Action(("N",), "Skip with a short note"),
    "model": Action(("M",), "Show or hide the model's view"),
    "guidelines": Action(("G",), "Show or hide the guidelines"),
    "help": Action(("?",), "Show or hide this list of keys"),
    "zoom_in": Action(("+", "="), "Image: zoom in (or the mouse wheel)"),
    "zoom_out": Action(("-",), "Image: zoom out"),
    "fit": Action(("F",), "Image: fit to the panel"),
    "actual": Action(("O",), "Image: 1:1, one image pixel per screen pixel"),
    "brighter": Action(("]",), "Image: brighter"),
    "darker": Action(("[",), "Image: darker"),
    "more_contrast": Action(("}",), "Image: more contrast"),
    "less_contrast": Action(("{",), "Image: less contrast"),
    "reset": Action(("R",), "Image: reset zoom, pan, brightness and contrast"),
}


@dataclass(frozen=True)
class KeyedClass:
    name: str
    key: str  # "" when the project has more classes than keys: clicked only


def class_keys(names: Sequence[str], chosen: Sequence[str] = ()) -> list[KeyedClass]:
    """Keys for classes in button order. `chosen[i]` is an admin's key for class i ("" = none).

    First the admin's keys; then a one-character class name gets its own key (lower-cased), if
    free; the rest take the first free of 1-9, 0, a-z. No key is given twice.
    """
    chosen = list(chosen) + [""] * (len(names) - len(chosen))
    keys = [key if key in CLASS_KEYS else "" for key in chosen]
    taken = {key for key in keys if key}
    for i, name in enumerate(names):
        own = name.strip().lower()
        if not keys[i] and len(own) == 1 and own in CLASS_KEYS and own not in taken:
            keys[i] = own
            taken.add(own)
    free = (key for key in CLASS_KEYS if key not in taken)
    for i in range(len(names)):
        if not keys[i]:
            keys[i] = next(free, "")
            taken.add(keys[i])
    return [KeyedClass(name=name, key=key) for name, key in zip(names, keys, strict=True)]
