"""A small torch softmax classifier, wrapped to look like an sklearn estimator.

`SoftmaxHead` is the plain module; `SoftmaxClassifier` owns everything around it: label
encoding, feature standardisation, full-batch training with a class weighting chosen on the
validation split, and atomic save/load.
Full batch is enough at labeling scale (tens to a few thousand labeled rows) and has no
shuffling, so a fit depends on the data and `config.seed` only.
"""

import io
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import torch
from torch import nn

from learner.arrays import to_numpy
from learner.device import resolve_device
from learner.exceptions import LearnerError, NotEnoughLabelsError
from learner.metrics import IMBALANCE_RATIO, check_metric, score
from learner.types import FloatArray

# Rows standardised and scored at a time. Standardising a 20,000 x 1,280 pool in one go
# allocates (and page-faults) two 100 MB tensors per call: 4x slower than blocks that the
# allocator reuses, and pool scoring is most of a round's time on a large pool.
INFERENCE_ROWS = 2048
CUDA_INFERENCE_ROWS = 65536  # on a GPU the blocks only bound memory: 1M rows in 16 launches, not 489


@dataclass(frozen=True)
class SoftmaxConfig:
    """Defaults tuned on digits, MNIST-5k (784 pixels) and rotten-tomatoes (256 LSA) at 20-2000 labels."""

    hidden: int = 0  # 0: linear head (multinomial logistic regression); else one ReLU layer this wide
    weight_decay: float = 1e-2  # L2 penalty on weights (not biases) added to the mean loss
    lr: float = 0.05  # Adam step size for full-batch training
    epochs: int = 300  # full-batch steps at most
    validation_fraction: float = 0.2  # labeled rows held out to choose the number of steps (0: none)
    patience: int = 100  # stop when the held-out loss has not improved for this many steps
    min_epochs: int = 50  # never stop before: held-out loss on a few labels often rises after step 1
    seed: int = 0  # weight initialisation, the validation split (and the committee's bootstrap draws)
    members: int = 5  # committee size; only SoftmaxCommittee reads it
    dropout: float = 0.0  # dropout on the output layer's input while training (MC-dropout BALD needs > 0)
    class_weight: str = "auto"  # "balanced", "none", or "auto": the one scoring better on the validation split
    metric: str = "accuracy"  # what "auto" compares the two weightings by (learner.metrics.METRICS)


def feature_scaler(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (d,) and floored std (d,) of x (n, d), for standardising features as (x - mean) / std.

    The per-feature std is floored at the average std: a border pixel lit in 1 of 20 images or a
    faint LSA component would otherwise be blown up into the loudest, noisiest feature.
    """
    std = x.std(dim=0, correction=0)  # (d,)
    floored = std.clamp_min(float(std.mean())) if float(std.mean()) > 1e-6 else torch.ones_like(std)
    return x.mean(dim=0), floored


class SoftmaxHead(nn.Module):
    """Standardised features (n, d_in) -> class logits (n, n_classes)."""

    def __init__(self, d_in: int, n_classes: int, hidden: int = 0, dropout: float = 0.0) -> None:
        super().__init__()
        self.drop = nn.Dropout(dropout)  # active in train() only; MC-dropout samples it at scoring time
        if hidden > 0:
            self.body: nn.Module = nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU())  # (n, hidden)
            self.out = nn.Linear(hidden, n_classes)
        else:
            self.body = nn.Identity()
            self.out = nn.Linear(d_in, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.drop(self.body(x)))  # (n, n_classes)


class SoftmaxClassifier:
    """fit(X (n, d), y (n,) hashable labels) -> predict_proba(X) (n, n_classes), columns in `classes_` order."""

    config_class: ClassVar[type[SoftmaxConfig]] = SoftmaxConfig  # what from_bytes rebuilds the config as

    def __init__(self, config: SoftmaxConfig = SoftmaxConfig(), device: str = "auto") -> None:
        self.config = config
        self.device = resolve_device(device)
        self.module_: nn.Module | None = None

    def fit(self, X: FloatArray | torch.Tensor, y: Any) -> Self:
        """Learn from X (n, d) and labels y (n,); NotEnoughLabelsError below 2 distinct classes."""
        labels = np.asarray(y)
        x = self._as_tensor(X)
        if labels.ndim != 1 or len(labels) != x.shape[0]:
            raise LearnerError(f"y must be 1-D with one label per row of X: X {tuple(x.shape)}, y {labels.shape}.")
        self.classes_, codes, counts = np.unique(labels, return_inverse=True, return_counts=True)
        if len(self.classes_) < 2:
            raise NotEnoughLabelsError(dict(zip(self.classes_.tolist(), counts.tolist(), strict=True)))
        self.n_features_in_ = x.shape[1]
        self.mean_, self.std_ = feature_scaler(x)  # (d,), (d,)
        target = torch.as_tensor(codes, dtype=torch.long, device=self.device)  # (n,)
        weights = {
            "balanced": torch.as_tensor(len(labels) / (len(counts) * counts), dtype=torch.float32, device=self.device),
            "none": torch.ones(len(counts), dtype=torch.float32, device=self.device),
        }  # (c,) each
        z = self._standardise(x)  # (n, d)
        held_out = self._validation_rows(codes, counts)
        candidates = self._weightings(counts, held_out is not None)
        self.validation_scores_: dict[str, float] = {}
        if held_out is None:
            self.epochs_ = self.config.epochs
        else:  # early stopping on the held-out rows picks the step count (and weighting); then refit on every label
            train = np.setdiff1d(np.arange(len(codes)), held_out)
            steps = {}
            for name in candidates:
                steps[name] = self._train(z[train], target[train], weights[name],
                                          validation=(z[held_out], target[held_out]))  # fmt: skip
                self.validation_scores_[name] = self._validation_score(z[held_out], codes[held_out])
            candidates = [max(candidates, key=lambda name: self.validation_scores_[name])]  # ties: the first listed
            self.epochs_ = steps[candidates[0]]
        self.class_weight_ = candidates[0]
        self._train(z, target, weights[self.class_weight_], epochs=self.epochs_)
        return self

    def _weightings(self, counts: np.ndarray, can_validate: bool) -> list[str]:
        """The class weightings to try, the preferred first. "auto" tries both only when the labels
        are imbalanced (else the two differ by little) and there is a validation split to decide on."""
        choice = self.config.class_weight
        if choice not in ("auto", "balanced", "none"):
            raise LearnerError(f"class_weight must be 'auto', 'balanced' or 'none', got {choice!r}.")
        check_metric(self.config.metric)
        if choice != "auto":
            return [choice]
        if can_validate and counts.max() > IMBALANCE_RATIO * counts.min():
            return ["balanced", "none"]
        return ["balanced"]

    @torch.no_grad()
    def _validation_score(self, z: torch.Tensor, codes: np.ndarray) -> float:
        """config.metric of the current module on standardised rows z (n, d) with class codes (n,)."""
        logits = self._fitted()(z)  # (n, c), or (m, n, c) for a committee
        probs = torch.softmax(logits, dim=-1)
        if probs.ndim == 3:
            probs = probs.mean(dim=0)  # (n, c) the consensus, as predict_proba gives it
        return score(self.config.metric, codes, to_numpy(probs.argmax(dim=1)))  # a few rows, scored on the host

    def _validation_rows(self, codes: np.ndarray, counts: np.ndarray) -> np.ndarray | None:
        """A stratified, seeded share of rows to hold out; None when a class has too few rows to spare one."""
        fraction = self.config.validation_fraction
        if fraction <= 0 or counts.min() < 3:  # keep at least two rows per class to learn from
            return None
        rng = np.random.default_rng(self.config.seed)
        rows = [rng.permutation(np.flatnonzero(codes == c))[: max(1, int(fraction * n))] for c, n in enumerate(counts)]
        return np.sort(np.concatenate(rows))

    def _train(
        self,
        z: torch.Tensor,
        target: torch.Tensor,
        weight: torch.Tensor,
        *,
        epochs: int | None = None,
        validation: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> int:
        """Full-batch Adam from a fresh seeded module: `epochs` steps, or up to config.epochs with early
        stopping on `validation`. Leaves the module in self.module_; returns the best step count."""
        self.module_ = self._new_module().train()
        optimizer = torch.optim.Adam(self._param_groups(self.module_), lr=self.config.lr)
        best_loss, best_epochs = float("inf"), epochs or self.config.epochs
        for step in range(1, (epochs or self.config.epochs) + 1):
            optimizer.zero_grad(set_to_none=True)
            loss = self._loss(self.module_(z), target, weight)
            loss.backward()
            optimizer.step()
            if validation is not None:
                with torch.no_grad():
                    held_out_loss = float(self._validation_loss(self.module_(validation[0]), validation[1], weight))
                if held_out_loss < best_loss - 1e-4 or step <= self.config.min_epochs:
                    best_loss, best_epochs = min(best_loss, held_out_loss), step
                elif step - best_epochs >= self.config.patience:
                    break
        self.module_.eval()
        return best_epochs

    def _param_groups(self, module: nn.Module) -> list[dict[str, Any]]:
        """Adam parameter groups: L2 on weights, none on biases."""
        decay = [p for name, p in module.named_parameters() if name.endswith("weight")]
        rest = [p for name, p in module.named_parameters() if not name.endswith("weight")]
        return [{"params": decay, "weight_decay": self.config.weight_decay}, {"params": rest, "weight_decay": 0.0}]

    def _validation_loss(self, logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(logits, target, weight=weight)

    def predict_proba(self, X: FloatArray | torch.Tensor) -> FloatArray:
        """Class probabilities (n, n_classes) float64 numpy, rows summing to 1."""
        return to_numpy(self.predict_proba_tensor(X))

    @torch.no_grad()
    def predict_proba_tensor(self, X: FloatArray | torch.Tensor) -> torch.Tensor:
        """The same probabilities (n, n_classes) float64, left on the model's device for a device round."""
        logits = self._logits(self._as_tensor(X)).double()  # (n, n_classes)
        return torch.softmax(logits, dim=1)

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        """The module's output for x (n, d), computed INFERENCE_ROWS rows at a time and joined
        along the row axis (the committee's output is (members, n, c), hence dim=-2)."""
        module = self._fitted()
        if x.shape[1] != self.n_features_in_:
            raise LearnerError(f"X has {x.shape[1]} features; the model was fitted on {self.n_features_in_}.")
        return torch.cat([module(self._standardise(block)) for block in x.split(self._block_rows())], dim=-2)

    @torch.no_grad()
    def embed(self, X: FloatArray | torch.Tensor) -> torch.Tensor:
        """What the output layer sees for each row (n, d_head), on the model's device.

        Core-set, BADGE and expected gradient length measure distances and gradients here.
        """
        body = self._fitted().get_submodule("body")
        x = self._as_tensor(X)
        return torch.cat([body(self._standardise(block)) for block in x.split(self._block_rows())])  # (n, d_head)

    def _block_rows(self) -> int:
        return CUDA_INFERENCE_ROWS if self.device.type == "cuda" else INFERENCE_ROWS

    def predict(self, X: FloatArray | torch.Tensor) -> np.ndarray:
        """Most probable label per row (n,), drawn from `classes_`."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write `to_bytes()` to `path` atomically (temp file + os.replace)."""
        data = self.to_bytes()
        target = Path(path)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), 0o644)  # mkstemp makes 0600; the web process may read models too
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)  # readers see the old file or the new one, never half of one
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def to_bytes(self) -> bytes:
        """Weights, config, classes and scaler as one torch file, for stores that are not a local path."""
        module = self._fitted()
        state = {
            "state_dict": {k: v.cpu() for k, v in module.state_dict().items()},
            "config": asdict(self.config),
            "epochs": self.epochs_,
            "classes": self.classes_.tolist(),
            "classes_dtype": self.classes_.dtype.str if self.classes_.dtype != object else "object",
            "mean": self.mean_.cpu(),
            "std": self.std_.cpu(),
        }
        buffer = io.BytesIO()
        torch.save(state, buffer)
        return buffer.getvalue()

    @classmethod
    def load(cls, path: str | os.PathLike[str], device: str = "auto") -> Self:
        """Rebuild a fitted classifier from `save`'s file."""
        return cls.from_bytes(Path(path).read_bytes(), device)

    @classmethod
    def from_bytes(cls, data: bytes, device: str = "auto") -> Self:
        """Rebuild a fitted classifier from `to_bytes`; weights_only, so no pickled code runs."""
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        model = cls(cls.config_class(**state["config"]), device)
        model.classes_ = np.array(state["classes"], dtype=np.dtype(state["classes_dtype"]))
        model.mean_, model.std_ = state["mean"].to(model.device), state["std"].to(model.device)
        model.n_features_in_ = int(model.mean_.shape[0])
        model.epochs_ = int(state["epochs"])
        model.module_ = model._new_module()
        model.module_.load_state_dict(state["state_dict"])
        model.module_.eval()
        return model

    def _loss(self, logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(logits, target, weight=weight)  # class-balanced

    def _new_module(self) -> nn.Module:
        with torch.random.fork_rng(devices=[]):  # seeded init without touching the caller's global RNG
            torch.manual_seed(self.config.seed)
            module = self._build_module()
        return module.to(self.device)

    def _build_module(self) -> nn.Module:
        return SoftmaxHead(self.n_features_in_, len(self.classes_), self.config.hidden, self.config.dropout)

    def _as_tensor(self, X: FloatArray | torch.Tensor) -> torch.Tensor:
        x = torch.as_tensor(X if isinstance(X, torch.Tensor) else np.asarray(X, dtype=np.float32), dtype=torch.float32)
        if x.ndim != 2:
            raise LearnerError(f"X must be 2-D (n_samples, n_features), got shape {tuple(x.shape)}.")
        # A sum is finite only if every entry is (NaN and inf propagate), so one reduction clears a
        # good array 20x faster than an entrywise test; that runs only when the sum is not finite.
        if not bool(torch.isfinite(x.sum())) and not bool(torch.isfinite(x).all()):
            raise LearnerError("X contains NaN or infinite values.")
        return x.to(self.device)

    def _standardise(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean_) / self.std_  # (n, d)

    def _fitted(self) -> nn.Module:
        if self.module_ is None:
            raise LearnerError("SoftmaxClassifier is not fitted yet: call fit first.")
        return self.module_
