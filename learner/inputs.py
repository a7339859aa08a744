"""What a query strategy may look at, for the n unlabeled items of the pool.

Arrays may be numpy arrays or torch tensors (on any device); each strategy converts them once
with `learner.arrays.as_tensor`. Which fields a strategy needs is declared in its registry
entry, so the training round computes only those (a committee costs extra passes).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from learner.arrays import as_tensor
from learner.exceptions import LearnerError

Array = Any  # numpy.ndarray | torch.Tensor


@dataclass(frozen=True)
class EmbeddingsOnDemand:
    """A pool's (n, d) embeddings, computed only for the rows that are read.

    Batch diversity reads the embeddings of the top 10·k items by score and no others; on a
    pool of 20,000 items that is 1 in 20, and embedding the rest cost more than the scoring.
    Strategies that read every row (core-set, BADGE, density, gradient length) get an array.
    """

    rows: Callable[[np.ndarray], Array]  # row indices (m,) -> their embeddings (m, d)
    n: int

    def __len__(self) -> int:
        return self.n


@dataclass(frozen=True)
class PoolInputs:
    probs: Array | None = None  # (n, c) the model's class probabilities
    committee_probs: Array | None = None  # (m, n, c) probabilities of m committee members
    embeddings: Array | EmbeddingsOnDemand | None = None  # (n, d) what the model's head sees for each pool item
    labeled_embeddings: Array | None = None  # (n_labeled, d) the same for labeled items
    head_weight: Array | None = None  # (c, d) the output layer's weights, trained with dropout on its input
    head_bias: Array | None = None  # (c,) its bias


def pool_size(inputs: PoolInputs) -> int:
    """n, read from the first field that is set; LearnerError when none is."""
    for array in (inputs.probs, inputs.embeddings):
        if array is not None:
            return len(array)
    if inputs.committee_probs is not None:
        return int(inputs.committee_probs.shape[1])
    raise LearnerError("PoolInputs has no probs, committee_probs or embeddings: nothing to rank.")


def inputs_on(inputs: PoolInputs, device: torch.device) -> PoolInputs:
    """Every array of `inputs` as a tensor on `device`, each moved once (no copy when already there).

    A round hands strategies a mix (numpy probabilities from the host, embeddings on the device);
    converting here, at entry, means no strategy ever meets the mix. Dtypes are kept (an fp16
    pool stays fp16, float64 probabilities stay float64). Embeddings computed on demand are
    moved as their rows are computed.
    """

    def move(array: Array | None) -> torch.Tensor | None:
        return None if array is None else as_tensor(array, device)

    embeddings = inputs.embeddings
    if isinstance(embeddings, EmbeddingsOnDemand):
        rows = embeddings.rows
        embeddings = EmbeddingsOnDemand(rows=lambda index: as_tensor(rows(index), device), n=embeddings.n)
    else:
        embeddings = move(embeddings)
    return PoolInputs(
        probs=move(inputs.probs),
        committee_probs=move(inputs.committee_probs),
        embeddings=embeddings,
        labeled_embeddings=move(inputs.labeled_embeddings),
        head_weight=move(inputs.head_weight),
        head_bias=move(inputs.head_bias),
    )
