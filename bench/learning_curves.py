"""Learning curves on real data: how many labels each strategy needs, against random.

A simulated annotator reveals true labels (learner.simulation.simulate, which runs the product's
own round: learner.training.run_round). Each dataset has a fixed held-out test split that is
never queried; "full pool" is the accuracy of the same classifier trained on every pool label.

Datasets (all offline, see shared/DATA.md):
- digits: 1,797 8x8 images, raw pixels;
- mnist-5k: EfficientNet-Lite0 (112 px) embeddings, and raw 28x28 pixels;
- rotten-tomatoes: MiniLM embeddings;
- 20-newsgroups: 7,532 posts in 20 overlapping topics, MiniLM embeddings;
- reuters-r8: 7,674 newswire stories in 8 topics, imbalanced 77:1, MiniLM embeddings (scored by macro-F1);
- mnist-5k-duplicates: every MNIST-5k pool image five times, each copy with a little pixel noise
  (std 8/255) before embedding; uncertainty sampling without batch diversity is known to spend
  its batches on copies of one item there;
- animal-silhouettes: 5,000 of Animal-MNIST's 28x28 silhouettes of 10 animals (a fixed draw, MNIST-5k's
  size and cost), EfficientNet-Lite0 (112 px) embeddings: harder than digits, outlines only.

Each dataset is scored by the metric learner.metrics.default_metric picks from its pool labels
(macro-F1 when the classes are imbalanced, else accuracy), always on the same single classifier
(committees only choose), with the majority-class baseline beside it.

Every strategy of the registry (auto included), random (random start, the honest baseline), random after the
product's typicality cold start, and entropy without batch diversity; batch sizes 10 and 50;
5 seeds. Each curve ends at its dataset's budget; random runs on further, so that its labels to
99% of full-pool accuracy is measured rather than bounded (Rotten Tomatoes and the duplicates
stop sooner at batch 10: see SETTINGS). Each seed's typicality start is computed once and shared by every
strategy's curve. --light keeps random, margin, entropy,
core-set and BADGE (and entropy without diversity on the duplicates) with 3 seeds, and stops
Rotten Tomatoes at 1,000 labels and the duplicates at 600. Results per dataset:
bench/results/learning-curves-<dataset>[-light].{md,json}, -curves.json with every curve, and a
plot per batch size. learning-curves.md is the overview: per dataset and batch size, the full
run where there is one, else the light run.

    .venv/bin/python -m bench.learning_curves                      # the full run, one process per core
    .venv/bin/python -m bench.learning_curves --light              # the quick subset, < 30 min on 2 cores
    .venv/bin/python -m bench.learning_curves --datasets mnist-5k  # one dataset
    .venv/bin/python -m bench.learning_curves --datasets rotten-tomatoes --batch-sizes 50  # one batch size
    .venv/bin/python -m bench.learning_curves --datasets rotten-tomatoes --add  # what its saved run lacks
    .venv/bin/python -m bench.learning_curves --datasets reuters-r8 --add --seeds 5  # its saved curves' seeds 4 and 5
"""

import argparse
import json
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import RESULTS, command, write
from learner.metrics import default_metric, majority_baseline
from learner.simulation import Curve, CurveSummary, full_pool_accuracy, simulate, summarise, typical_start
from learner.simulation.plot import plot_curves
from learner.types import IntArray

CACHE = Path(__file__).resolve().parent / ".cache"  # embeddings, computed once per machine


@dataclass(frozen=True)
class Run:
    """One curve to compute: a strategy variant on a dataset at a batch size with a seed."""

    dataset: str
    strategy: str
    start: str
    diverse: bool
    batch_size: int
    seed: int
    budget: int


@dataclass(frozen=True)
class Setting:
    dataset: str
    budget: int  # labels at which every curve stops: past where the best strategy meets the full pool
    random_budget: int  # random goes on to here, so its labels-to-99% is a measurement, not a bound
    features: str  # what the classifier sees, for the table
    light_budget: int | None = None  # where every curve of a --light run stops, when that is sooner
    small_batch_budgets: tuple[int, int] | None = None  # (budget, random_budget) at batch sizes below 50


SETTINGS = {
    "digits": Setting("digits", 400, 1000, "pixels 8x8"),
    "mnist-5k": Setting("mnist-5k", 1000, 3000, "efficientnet-lite0-112"),
    # The best strategies reach 99% of the full pool by 1,000 labels; random is at 0.87 there, so
    # it runs on to 3,000 (not in a light run).
    "mnist-5k-pixels": Setting("mnist-5k-pixels", 1000, 3000, "pixels 28x28", light_budget=1000),
    # Sentiment from 384 numbers learns slowly: at 3,000 labels the best strategies are within
    # 0.01 of 99% of the full pool (5 seeds, batch 50), random is not at 99% by 5,000. Batch 10
    # stops at 1,000 (random at 2,000), where the best reach 95% at batch 50 and past random's 95%:
    # going on would cost 5x the retrains of batch 50 for a curve batch 50 already draws. A light
    # run stops at 1,000.
    "rotten-tomatoes": Setting(
        "rotten-tomatoes", 3000, 5000, "minilm-l6", light_budget=1000, small_batch_budgets=(1000, 2000)
    ),
    # 20,000 items: the costliest pool to rank. The best reach 99% of the full pool by 700-750
    # labels (5 seeds); random, at 0.90 by 1,000, runs on to 3,000 at batch 50 (at batch 10 that
    # would be 200 more retrains a curve on 20,000 items, so it stops at 1,000 and the table gives
    # a bound). A light run stops at 600, where the early-budget question (does top-k uncertainty
    # waste labels on copies?) is answered.
    "mnist-5k-duplicates": Setting("mnist-5k-duplicates", 1000, 3000, "efficientnet-lite0-112, 5 noisy copies",
                                   light_budget=600, small_batch_budgets=(1000, 1000)),
    # Many overlapping topics and an imbalanced one, from MiniLM embeddings: both learn slowly, so
    # every curve stops at 1,000 labels (random at 2,000 at batch 50) and a light run at 1,000.
    "20-newsgroups": Setting("20-newsgroups", 1000, 2000, "minilm-l6", light_budget=1000,
                             small_batch_budgets=(1000, 1000)),
    "reuters-r8": Setting("reuters-r8", 1000, 2000, "minilm-l6", light_budget=1000, small_batch_budgets=(1000, 1000)),
    # Outlines of ten animals learn more slowly than digits: every curve stops at 1,000 labels, as on the text sets.
    "animal-silhouettes": Setting("animal-silhouettes", 1000, 2000, "efficientnet-lite0-112", light_budget=1000,
                                  small_batch_budgets=(1000, 1000)),
}
VARIANTS = (  # (strategy, start, diverse)
    ("random", "random", False),
    ("random", "typicality", False),
    ("least_confidence", "typicality", True),
    ("margin", "typicality", True),
    ("entropy", "typicality", True),
    ("entropy", "typicality", False),
    ("vote_entropy", "typicality", True),
    ("consensus_entropy", "typicality", True),
    ("max_disagreement", "typicality", True),
    ("bald", "typicality", True),
    ("density_entropy", "typicality", True),
    ("expected_gradient_length", "typicality", True),
    ("coreset", "typicality", True),
    ("badge", "typicality", True),
    ("auto", "typicality", True),
)
LIGHT_VARIANTS = tuple(v for v in VARIANTS if v in {("random", "random", False), ("margin", "typicality", True),
                       ("entropy", "typicality", True), ("coreset", "typicality", True), ("badge", "typicality", True),
                       ("auto", "typicality", True)})  # fmt: skip
DUPLICATES_VARIANT = ("entropy", "typicality", False)  # the pool where plain top-k uncertainty is known to fail
COMMITTEE = {"vote_entropy", "consensus_entropy", "max_disagreement", "bald"}  # train several members: slower


# --- Features -------------------------------------------------------------------------------


def dataset_arrays(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_pool, y_pool, X_test, y_test) for a dataset, from the cache when it is there."""
    path = CACHE / f"{name}.npz"
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        X_pool, y_pool, X_test, y_test = BUILDERS[name]()
        np.savez(path, X_pool=X_pool, y_pool=y_pool.astype(str), X_test=X_test, y_test=y_test.astype(str))
    with np.load(path) as data:
        return data["X_pool"], data["y_pool"], data["X_test"], data["y_test"]


def _split(n: int, n_test: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(0).permutation(n)  # fixed for every strategy and seed
    return order[n_test:], order[:n_test]


def _encode_images(images: np.ndarray) -> np.ndarray:
    from PIL import Image

    from learner.encoders import load_encoder

    encoder = load_encoder("efficientnet-lite0-112", "auto")
    pictures = [Image.fromarray(a) for a in images]
    return np.concatenate([encoder.encode(pictures[i : i + 128]) for i in range(0, len(pictures), 128)])


def _digits() -> tuple[np.ndarray, ...]:
    from learner.datasets import load_dataset

    data = load_dataset("digits")
    assert data.images is not None
    X = data.images.reshape(len(data.images), -1).astype(np.float32) / 255.0  # (1797, 64)
    pool, test = _split(len(X), 400)
    return X[pool], data.labels[pool], X[test], data.labels[test]


def _mnist(features: str) -> tuple[np.ndarray, ...]:
    from learner.datasets import load_dataset

    data = load_dataset("mnist-5k")
    assert data.images is not None
    pool, test = _split(len(data.images), 1000)
    y = data.labels
    if features == "pixels":
        X = data.images.reshape(len(y), -1).astype(np.float32) / 255.0  # (5000, 784)
        return X[pool], y[pool], X[test], y[test]
    if features == "duplicates":
        rng = np.random.default_rng(0)
        copies = np.repeat(data.images[pool], 5, axis=0).astype(np.float32)  # (5 * n_pool, 28, 28)
        noisy = np.clip(copies + rng.normal(0.0, 8.0, copies.shape), 0, 255).astype(np.uint8)
        X_test = dataset_arrays("mnist-5k")[2]  # the same untouched test split
        return _encode_images(noisy), np.repeat(y[pool], 5), X_test, y[test]
    X = _encode_images(data.images)
    return X[pool], y[pool], X[test], y[test]


def _animals() -> tuple[np.ndarray, ...]:
    """5,000 silhouettes drawn once with a fixed seed (MNIST-5k's size, so a run costs what it does), 1,000 held out."""
    from learner.datasets import load_dataset

    data = load_dataset("animal-silhouettes")
    assert data.images is not None
    subset = np.random.default_rng(0).choice(len(data.labels), size=5000, replace=False)
    X, y = _encode_images(data.images[subset]), data.labels[subset]
    pool, test = _split(len(X), 1000)
    return X[pool], y[pool], X[test], y[test]


def _texts(name: str) -> tuple[np.ndarray, ...]:
    """MiniLM embeddings of a text dataset, 2,000 of its texts held out as the test split."""
    from learner.datasets import load_dataset
    from learner.encoders import load_encoder

    data = load_dataset(name)
    assert data.texts is not None
    encoder = load_encoder("minilm-l6", "auto")
    texts = list(data.texts)
    X = np.concatenate([encoder.encode(texts[i : i + 256]) for i in range(0, len(texts), 256)])
    pool, test = _split(len(X), 2000)
    return X[pool], data.labels[pool], X[test], data.labels[test]


BUILDERS: dict[str, Callable[[], tuple[np.ndarray, ...]]] = {
    "digits": _digits,
    "mnist-5k": lambda: _mnist("efficientnet"),
    "mnist-5k-pixels": lambda: _mnist("pixels"),
    "rotten-tomatoes": lambda: _texts("rotten-tomatoes"),
    "20-newsgroups": lambda: _texts("20-newsgroups"),
    "reuters-r8": lambda: _texts("reuters-r8"),
    "mnist-5k-duplicates": lambda: _mnist("duplicates"),
    "animal-silhouettes": _animals,
}


# --- Runs -----------------------------------------------------------------------------------


def budget_of(dataset: str, strategy: str, start: str, batch_size: int, light: bool) -> int:
    """Random (the baseline) runs on past the others, so its labels-to-99% is measured, not bounded;
    a light run does so at batch size 50 only (at 10 it is the costliest run of all)."""
    setting = SETTINGS[dataset]
    if light and setting.light_budget is not None:
        return setting.light_budget
    extend = (strategy, start) == ("random", "random") and not (light and batch_size < 50)
    budget, random_budget = setting.budget, setting.random_budget
    if batch_size < 50 and setting.small_batch_budgets is not None:
        budget, random_budget = setting.small_batch_budgets
    return random_budget if extend else budget


def run_one(run: Run, typical: IntArray | None) -> tuple[Curve, float]:
    """The curve, and the CPU seconds this process spent on it (wall time on a shared machine says less)."""
    started = time.process_time()
    _one_thread()
    X_pool, y_pool, X_test, y_test = dataset_arrays(run.dataset)
    curve = simulate(
        X_pool, y_pool, X_test, y_test, strategy=run.strategy, batch_size=run.batch_size, budget=run.budget,
        seed=run.seed, start=run.start, diverse=run.diverse, device="cpu", typical=typical,
        metric=dataset_metric(run.dataset),
    )  # fmt: skip
    return curve, time.process_time() - started


def typical_one(dataset: str, batch_size: int, seed: int) -> tuple[IntArray, float]:
    """The typicality start for one batch size and seed, shared by every strategy's curve (k-means
    on the 20,000-item duplicated pool takes about 25 s: once per seed, not once per curve)."""
    started = time.process_time()
    _one_thread()
    return typical_start(dataset_arrays(dataset)[0], batch_size, seed), time.process_time() - started


def _one_thread() -> None:
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)  # one process per core does more than one process on all of them
    threadpool_limits(1)  # k-means (BLAS, OpenMP) too


def dataset_metric(name: str) -> str:
    """What the dataset is scored by: macro-F1 when its pool's classes are imbalanced, else accuracy."""
    return default_metric(dataset_arrays(name)[1])


def dataset_full_pool_accuracy(name: str, seeds: int) -> float:
    X_pool, y_pool, X_test, y_test = dataset_arrays(name)
    return full_pool_accuracy(X_pool, y_pool, X_test, y_test, seeds=seeds, metric=dataset_metric(name))


def dataset_majority_baseline(name: str) -> float:
    """The metric of always answering the pool's majority class on the test split."""
    _, y_pool, _, y_test = dataset_arrays(name)
    return majority_baseline(y_pool, y_test, dataset_metric(name))


def auto_choices(curves: list[Curve]) -> str:
    """What auto chose, per batch size: the share of batches each arm picked, over seeds."""
    parts = []
    for batch in sorted({c.batch_size for c in curves if c.strategy == "auto"}):
        arms = [arm for c in curves if c.strategy == "auto" and c.batch_size == batch for arm in c.arms]
        if arms:
            shares = {arm: arms.count(arm) / len(arms) for arm in sorted(set(arms))}
            parts.append(f"batch {batch}: " + ", ".join(f"{arm} {share:.0%}" for arm, share in shares.items()))
    return "; ".join(parts)


# --- Report ---------------------------------------------------------------------------------


def _bound(labels: int | None, ratio: float | None, baseline: CurveSummary | None) -> str:
    """A ratio to random, or an upper bound when random never got there within its budget."""
    if ratio is not None:
        return f"{ratio:.2f}"
    if labels is not None and baseline is not None:
        return f"< {labels / baseline.labels[-1]:.2f}"  # random needs more than all it was given
    return "n/a"


def common_budget(summaries: list[CurveSummary]) -> int:
    """Labels where every curve stops (random may go on past it)."""
    return min(s.labels[-1] for s in summaries)


def _by_batch(summaries: list[CurveSummary]) -> dict[int, list[CurveSummary]]:
    return {b: [s for s in summaries if s.batch_size == b] for b in sorted({s.batch_size for s in summaries})}


def table_rows(name: str, summaries: list[CurveSummary], full: float) -> list[dict[str, Any]]:
    rows = []
    budgets = {batch: common_budget(group) for batch, group in _by_batch(summaries).items()}
    for s in sorted(summaries, key=lambda s: (s.batch_size, s.name != "random", s.name)):
        budget = budgets[s.batch_size]  # where every curve at this batch size stops (random may go on)
        at_budget = max(i for i, count in enumerate(s.labels) if count <= budget)
        base = next((b for b in summaries if b.name == "random" and b.batch_size == s.batch_size), None)
        worse = s.worse_than_random_at
        rows.append({
            "dataset": name, "batch": s.batch_size, "strategy": s.name, "seeds": s.seeds,
            "labels to 95%": s.labels_95 if s.labels_95 is not None else f"> {s.labels[-1]}",
            "labels to 99%": s.labels_99 if s.labels_99 is not None else f"> {s.labels[-1]}",
            "ratio to random 95%": _bound(s.labels_95, s.ratio_95, base),
            "ratio to random 99%": _bound(s.labels_99, s.ratio_99, base),
            "AULC": f"{s.aulc_mean:.3f} ± {s.aulc_std:.3f}",
            "accuracy at the budget": f"{s.mean[at_budget]:.3f} ± {s.std[at_budget]:.3f} ({s.labels[at_budget]})",
            "worse than random (labels)": _behind(s, base) if worse and base else "",
        })  # fmt: skip
    return rows


WHY_BEHIND = {  # what the curves show, and the mechanism, for strategies that fall behind random somewhere
    "coreset": "k-center greedy covers the space farthest-first, so its picks are outliers and odd writing styles; "
               "with a linear head and a few hundred labels, typical items teach more (Hacohen et al., ICML 2022, "
               "report the same low-budget reversal). It trails random by up to 0.12 at batch 10 on raw pixels "
               "and the duplicated pool, and by up to 0.022 on Rotten Tomatoes. It is the product's cold-start "
               "fallback only on request.",
    "entropy": "entropy ranks items confused among many classes first; on raw pixels (and briefly on digits at "
               "batch 50) the early model is badly calibrated, so those picks are noise-like scrawls: on raw pixels "
               "at batch 10 it trails random by up to 0.034 until 510 labels. Margin and least confidence, which "
               "look at the top classes only, do not lose there.",
    "margin": "one point on raw pixels (130 labels at batch 10), by 0.006: chance, with many variants compared.",
    "badge": "early points on Rotten Tomatoes at batch 10 (see the note on that batch size).",
    "bald": "the bootstrap committees (bald, max_disagreement, consensus_entropy) trail random at batch 10 while "
            "classes have few labels: members fitted on bootstrap draws of 1-30 labels a class differ mostly in "
            "which few items they drew, so their disagreement marks items near those, not where the model is "
            "wrong. On MNIST-5k they catch up by ~300-450 labels; on raw pixels and the duplicated pool BALD and "
            "max-disagreement trail by up to 0.12-0.16 at 30-80 labels and stay behind until 600-900 labels "
            "(max-disagreement on the duplicates to the end, 0.891 vs 0.901 at 1,000). At batch 50 they reach "
            "95% of the full pool no later than random there (0.67-1.00 of its labels). The product's default "
            "is entropy, not a committee; the dashboard's replay shows whether one pays on a team's own data.",
    "max_disagreement": "as for bald: bootstrap disagreement on very few labels.",
    "consensus_entropy": "as for bald: bootstrap disagreement on very few labels; the mildest of the three "
                         "(by up to 0.05).",
    "vote_entropy": "one or two isolated points (by up to 0.034, at 60 labels on the duplicates): chance, with few "
                    "seeds and many variants.",
    "least_confidence": "one isolated point, within two seed spreads: chance, with few seeds and many variants.",
    "density_entropy": "as for entropy, whose scores it weights: on raw pixels at batch 10 it trails by up to 0.034 "
                       "at 80-260 labels; elsewhere isolated points.",
    "expected_gradient_length": "the gradient's length grows with 1 - p of the predicted class, so early on, like "
                                "entropy, it favours scrawls spread over many classes: it trails random by up to "
                                "0.06 on raw pixels at batch 10 (until 420 labels) and 0.045 on the duplicates "
                                "(60-110 labels), then leads (first to 99% on the duplicated pool).",
    "random + typical start": "the typical first batch helps at once (0.52 vs 0.30 at 10 labels on MNIST-5k) and "
                              "is worth nothing after ~50 labels; from the second batch on it is random sampling. "
                              "Where it trails random, two random samplers of five seeds each differ: by up to "
                              "0.015 on the image pools, and by up to 0.021 on Rotten Tomatoes at batch 50 (300 "
                              "and 2,350-3,000 labels). We found no mechanism for the latter; the strategies that "
                              "start from the same typical batch are ahead of random there.",
    "entropy, no diversity": "without batch diversity, a batch of top-entropy items on the duplicated pool is "
                             "copies of a few confusing digits (behind random by up to 0.068 at 70-210 labels at "
                             "batch 10): exactly the failure the diverse batches prevent. On raw pixels a batch of "
                             "top-entropy items is a clump of similar scrawls (up to 0.068 until 450 labels).",
}


WHY_BEHIND_IN_GROUP = {
    ("digits", 50): "digits is small (1,397 pool items) and easy (0.966 with every label). At batch 50, from "
                    "150 labels on, the model is near 0.95 and every strategy that ranks by the model, or starts "
                    "from typical items, spends its 50 picks on a few hard digits and trails random by 0.005-0.01, "
                    "about one seed spread. The same strategies lead at batch 10.",
    ("rotten-tomatoes", 10): "sentiment from MiniLM embeddings is learned slowly: with 20-250 labels the model is "
                             "at 0.59-0.68 and its seed spread is 0.01-0.03. There, the strategies that rank by "
                             "the model (BADGE, expected gradient length, the committees, and entropy, margin and "
                             "least confidence, which order two classes identically) trail random at one to "
                             "fifteen points, by up to 0.028: a weak model's uncertainty picks no better than "
                             "chance. Past 250 labels none of them trails random, at 1,000 labels they are at "
                             "0.708-0.719 against random's 0.695, and consensus entropy reaches 95% of the full "
                             "pool with 630 labels against random's 1,490. Core-set trails throughout, outliers "
                             "first, as on every dataset.",
}


def overview() -> Path:
    """results/learning-curves.md: per dataset and batch size, the strategy that needed the fewest
    labels to 99% of full-pool accuracy against random, and who fell behind random where."""
    rows, behind_somewhere, notes = [], set(), {}
    for name, batch, group, full, light in _latest_groups():
        base = next(s for s in group if s.name == "random")
        best = min((s for s in group if s.name != "random"),
                   key=lambda s: (s.labels_99 or 1 << 62, s.labels_95 or 1 << 62, -s.aulc_mean))  # fmt: skip
        behind = [f"{s.name} ({_behind(s, base)})" for s in group if s.worse_than_random_at]
        if (name, batch) in WHY_BEHIND_IN_GROUP and behind:
            notes[f"why strategies fall behind on {name} at batch {batch}"] = WHY_BEHIND_IN_GROUP[(name, batch)]
        else:
            behind_somewhere.update(s.name for s in group if s.worse_than_random_at)
        rows.append({
            "dataset": name, "batch": batch,
            "run": f"{len(group)} variants, {best.seeds} seeds, {common_budget(group)} labels"
                   + (" (--light)" if light else ""),
            "99% of full pool": f"{0.99 * full:.3f}", "best strategy": best.name,
            "its labels to 99%": best.labels_99 or f"> {best.labels[-1]}",
            "random's labels to 99%": base.labels_99 or f"> {base.labels[-1]}",
            "ratio": _bound(best.labels_99, best.ratio_99, base),
            "AULC best / random": f"{best.aulc_mean:.3f} / {base.aulc_mean:.3f}",
            "behind random by more than its seed spread, at labels": "; ".join(behind) or "none",
        })  # fmt: skip
    summary: dict[str, Any] = {"tables per dataset": "learning-curves-<dataset>[-light].md",
                               "every curve": "learning-curves-<dataset>[-light]-curves.json"}  # fmt: skip
    summary |= {f"why {name} falls behind": why for name, why in WHY_BEHIND.items() if name in behind_somewhere}
    summary |= notes
    return write("learning-curves", rows, summary, ran="the runs named in each dataset's table")


def _latest_groups() -> Iterator[tuple[str, int, list[CurveSummary], float, bool]]:
    """(dataset, batch size, its curve summaries, full-pool accuracy, from a --light run) per
    dataset and batch size: from the full run where it has that batch size, else the light run."""
    for name in sorted(SETTINGS):
        done: set[int] = set()
        for suffix in ("", "-light"):
            path = RESULTS / f"learning-curves-{name}{suffix}-curves.json"
            if not path.exists():
                continue
            saved = json.loads(path.read_text())
            summaries = summarise(_curves(saved), saved["full_pool_accuracy"])
            for batch in sorted({s.batch_size for s in summaries} - done):
                done.add(batch)
                group = [s for s in summaries if s.batch_size == batch]
                yield name, batch, group, saved["full_pool_accuracy"], suffix == "-light"


def _curves(saved: dict[str, Any]) -> list[Curve]:
    return [Curve(**{**c, "labels": tuple(c["labels"]), "accuracy": tuple(c["accuracy"])}) for c in saved["curves"]]


def _behind(s: CurveSummary, base: CurveSummary) -> str:
    """Where s trails random by more than its seed spread, and by how much at most:
    '30-90, 140; by up to 0.068'."""
    random_at = dict(zip(base.labels, base.mean, strict=True))
    behind = set(s.worse_than_random_at)
    worst = max(random_at[count] - mean for count, mean in zip(s.labels, s.mean, strict=True) if count in behind)
    return f"{_ranges(s.worse_than_random_at, s.batch_size)}; by up to {worst:.3f}"


def _ranges(points: tuple[int, ...], step: int) -> str:
    """(10, 20, 30, 70) -> '10-30, 70'."""
    spans: list[list[int]] = []
    for p in points:
        if spans and p - spans[-1][1] == step:
            spans[-1][1] = p
        else:
            spans.append([p, p])
    return ", ".join(f"{a}-{b}" if a != b else f"{a}" for a, b in spans)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--light", action="store_true",
                        help="5 of the 14 variants (6 on the duplicates), 3 seeds")  # fmt: skip
    parser.add_argument("--datasets", nargs="*", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--seeds", type=int, default=None, help="default 5 (3 with --light)")
    parser.add_argument("--strategies", nargs="*", default=None, choices=sorted({v[0] for v in VARIANTS}),
                        help="only these strategies' variants (random's two starts count as random)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--batch-sizes", type=int, nargs="*", default=[10, 50])
    parser.add_argument("--report-only", action="store_true", help="redraw tables and plots from the curves JSON")
    parser.add_argument("--overview-only", action="store_true", help="rewrite learning-curves.md from saved curves")
    parser.add_argument("--suffix", default=None,
                        help="results name suffix instead of '' / '-light' (a side run that leaves the saved runs be)")
    parser.add_argument("--add", action="store_true",
                        help="run the variants and batch sizes missing from the saved curves (with their seeds, "
                             "or every saved variant's missing seeds up to a larger --seeds) and merge them in: "
                             "the rest of the registry after a --light run")  # fmt: skip
    parser.add_argument("--rerun", action="store_true",
                        help="with --add: drop the saved curves of --strategies at --batch-sizes and run them "
                             "again (after a budget change)")  # fmt: skip
    args = parser.parse_args()
    if args.rerun and not (args.add and args.strategies):
        parser.error("--rerun goes with --add and --strategies: it says which saved curves to run again")
    if args.overview_only:
        print(overview())
        return
    seeds = args.seeds or (3 if args.light else 5)
    wanted = set(args.strategies or {v[0] for v in VARIANTS})
    suffix = args.suffix if args.suffix is not None else ("-light" if args.light else "")
    for name in args.datasets:
        started = time.perf_counter()
        curves_path = RESULTS / f"learning-curves-{name}{suffix}-curves.json"
        if args.report_only:
            saved = json.loads(curves_path.read_text())
            full, minutes, cpu_minutes = saved["full_pool_accuracy"], saved["minutes"], saved.get("cpu_minutes")
            ran = saved.get("command")
            curves = _curves(saved)
        else:
            before = json.loads(curves_path.read_text()) if args.add else None
            if before is not None and args.rerun:
                before["curves"] = [c for c in before["curves"]
                                    if c["strategy"] not in wanted or c["batch_size"] not in args.batch_sizes]
            if before is not None:  # the saved run's seeds, or more when --seeds asks for more
                seeds = max(len({c["seed"] for c in before["curves"]}), args.seeds or 0)
            plan = _plan(name, args.light, wanted, args.batch_sizes, seeds, before)
            full, curves, cpu_seconds = simulate_dataset(name, plan, seeds, args.workers, args.light)
            minutes, cpu_minutes = round((time.perf_counter() - started) / 60, 1), round(cpu_seconds / 60, 1)
            RESULTS.mkdir(exist_ok=True)
            ran = command()
            if before is not None:
                curves = [*_curves(before), *curves]
                ran = f"{before['command']}, then {ran}"
                minutes = round(minutes + before["minutes"], 1)  # every step's time, dropped curves' too
                cpu_minutes = round(cpu_minutes + before["cpu_minutes"], 1)
            saved = {"command": ran, "full_pool_accuracy": full, "minutes": minutes, "cpu_minutes": cpu_minutes,
                     "setting": asdict(SETTINGS[name]), "curves": [c.as_dict() for c in curves]}  # fmt: skip
            curves_path.write_text(json.dumps(saved) + "\n")
        report(name, suffix, full, curves, minutes, cpu_minutes, args.workers, ran)
    print(overview())


def _plan(name: str, light: bool, wanted: set[str], batch_sizes: list[int], seeds: int,
          before: dict[str, Any] | None) -> list[tuple[tuple[str, str, bool], int, int]]:  # fmt: skip
    """(variant, batch size, seed) triples to run: the run's variants of the wanted strategies at
    every batch size and seed, less those the saved curves `before` already have (--add). When
    `seeds` is more than the saved run has, only the saved variants (at every batch size asked
    for), with the seeds they miss."""
    variants = [*(LIGHT_VARIANTS if light and before is None else VARIANTS)]
    if light and name == "mnist-5k-duplicates" and before is None:
        variants.append(DUPLICATES_VARIANT)
    saved = [] if before is None else before["curves"]
    done = {((c["strategy"], c["start"], c["diverse"]), c["batch_size"], c["seed"]) for c in saved}
    if saved and seeds > len({c["seed"] for c in saved}):
        variants = list(dict.fromkeys((c["strategy"], c["start"], c["diverse"]) for c in saved))
    return [(v, b, seed) for b in batch_sizes for v in variants for seed in range(seeds)
            if v[0] in wanted and (v, b, seed) not in done]  # fmt: skip


def simulate_dataset(name: str, plan: list[tuple[tuple[str, str, bool], int, int]], seeds: int, workers: int,
                     light: bool) -> tuple[float, list[Curve], float]:  # fmt: skip
    """The curve of each (variant, batch size, seed) of `plan` on one dataset, across `workers`
    processes; the full-pool score is averaged over `seeds` initialisations."""
    X_pool, _, X_test, _ = dataset_arrays(name)  # embed once, here, before the workers read the cache
    full = dataset_full_pool_accuracy(name, seeds)
    print(f"{name}: pool {len(X_pool)}, test {len(X_test)}, dim {X_pool.shape[1]}, full pool {full:.3f}", flush=True)
    runs = [Run(name, strategy, start, diverse, batch, seed, budget_of(name, strategy, start, batch, light))
            for (strategy, start, diverse), batch, seed in plan]  # fmt: skip
    runs.sort(key=lambda r: -r.budget / r.batch_size * (3 if r.strategy in COMMITTEE else 1))  # longest first
    started, curves, cpu_seconds = time.perf_counter(), [], 0.0
    with ProcessPoolExecutor(max_workers=workers) as pool:
        starts = {key: pool.submit(typical_one, name, *key)
                  for key in sorted({(r.batch_size, r.seed) for r in runs if r.start == "typicality"})}  # fmt: skip
        typical = {}
        for key, job in starts.items():
            typical[key], seconds = job.result()
            cpu_seconds += seconds
        print(f"{len(starts)} typical starts: {time.perf_counter() - started:.0f}s", flush=True)
        futures = {}
        for run in runs:
            first = typical[run.batch_size, run.seed] if run.start == "typicality" else None
            futures[pool.submit(run_one, run, first)] = run
        for done, future in enumerate(as_completed(futures), 1):
            curve, seconds = future.result()
            curves.append(curve)
            cpu_seconds += seconds
            print(f"[{done}/{len(runs)} {time.perf_counter() - started:.0f}s, {seconds:.0f} cpu s] {futures[future]}",
                  flush=True)  # fmt: skip
    return full, curves, cpu_seconds


def report(
    name: str, suffix: str, full: float, curves: list[Curve], minutes: float, cpu_minutes: float | None, workers: int,
    ran: str | None,
) -> None:
    summaries = summarise(curves, full)
    setting = SETTINGS[name]
    plots = []
    for batch in sorted({c.batch_size for c in curves}):
        path = RESULTS / f"learning-curves-{name}{suffix}-b{batch}.png"
        seeds = len({c.seed for c in curves})
        plot_curves([s for s in summaries if s.batch_size == batch], full_accuracy=full, out=str(path),
                    title=f"{name} ({setting.features}), batch {batch}, {seeds} seeds",
                    metric=curves[0].metric)  # fmt: skip
        plots.append(path.name)
    summary = {
        "metric": dataset_metric(name), "majority-class baseline": round(dataset_majority_baseline(name), 4),
        "full-pool score (the metric)": round(full, 4), "99% of it": round(0.99 * full, 4),
        "features": setting.features,
        "budget": "; ".join(f"batch {b}: {common_budget(group)} labels (random: {max(s.labels[-1] for s in group)})"
                            for b, group in _by_batch(summaries).items()),
        "seeds": len({c.seed for c in curves}), "wall minutes": minutes, "worker processes": workers,
        "CPU minutes, all runs (one thread each)": cpu_minutes if cpu_minutes is not None else "not recorded",
        "plots": ", ".join(plots),
    }  # fmt: skip
    if any(c.strategy == "auto" for c in curves):
        summary["auto's arms (share of batches)"] = auto_choices(curves)
    print(write(f"learning-curves-{name}{suffix}", table_rows(name, summaries, full), summary, ran=ran))


if __name__ == "__main__":
    main()
