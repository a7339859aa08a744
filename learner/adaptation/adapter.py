"""ContrastiveAdapter: fit the projection head on views of the unlabeled pool, then transform.

Labels are scarce but the pool is not: the adapter learns, from unlabeled items only, which
directions of the frozen embedding survive a nuisance (a crop, a shift, a darker scan) and which
do not, so the few labels are spent on a space where views of one item sit together. Views are
precomputed (encoding is the expensive part): `fit` takes them as an array (n_views, n, d) and
draws a fresh pair of distinct views per item every epoch, optionally with embedding-space
dropout and noise on top (the only views texts get; see learner.adaptation.augment).
"""

from typing import Any, Self

import numpy as np
import torch

from learner.adaptation.augment import embedding_noise
from learner.adaptation.head import ContrastiveConfig, ProjectionHead
from learner.adaptation.loss import nt_xent
from learner.device import resolve_device
from learner.exceptions import LearnerError
from learner.types import FloatArray

_TRANSFORM_ROWS = 65_536  # rows per forward pass in transform, to bound memory on big pools


class ContrastiveAdapter:
    """fit(views (n_views, n, d)) -> transform(X (m, d)) -> adapted float32 (m, d_out)."""

    def __init__(self, config: ContrastiveConfig = ContrastiveConfig(), device: str = "auto") -> None:  # noqa: B008 - frozen
        self.config = config
        self.device = resolve_device(device)
        self.module_: ProjectionHead | None = None
        self.loss_history_: list[float] = []  # mean NT-Xent per epoch

    def fit(self, views: Any) -> Self:
        """Learn from views (n_views, n, d): row i of every view shows item i. One view needs embedding noise."""
        v = torch.as_tensor(np.asarray(views, dtype=np.float32)).to(self.device)  # (n_views, n, d)
        config = self.config
        if v.ndim != 3 or v.shape[1] < 2:
            raise LearnerError(f"views must be (n_views, n_items >= 2, d), got shape {tuple(v.shape)}.")
        if v.shape[0] < 2 and config.feature_dropout <= 0 and config.noise <= 0:
            raise LearnerError("A single view needs feature_dropout or noise, or its two views are identical.")
        if not bool(torch.isfinite(v).all()):
            raise LearnerError("views contain NaN or infinite values.")
        n_views, n, d = v.shape
        rows = v.reshape(-1, d)  # (n_views * n, d)
        self.n_features_in_ = d
        self.mean_ = rows.mean(dim=0)  # (d,)
        std = rows.std(dim=0, correction=0)  # (d,)
        # Floored at the average std, as in SoftmaxClassifier: a near-constant feature is not blown up into noise.
        self.std_ = std.clamp_min(float(std.mean())) if float(std.mean()) > 1e-6 else torch.ones_like(std)
        z = (v - self.mean_) / self.std_  # (n_views, n, d)

        generator = torch.Generator(device=self.device).manual_seed(config.seed)
        self.module_ = self._new_module().train()
        optimizer = torch.optim.Adam(self.module_.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        batch = min(config.batch_size, n)
        self.loss_history_ = []
        for _ in range(config.epochs):
            order = torch.randperm(n, generator=generator, device=self.device)  # (n,)
            first = torch.randint(n_views, (n,), generator=generator, device=self.device)  # (n,)
            offset = torch.randint(1, max(n_views, 2), (n,), generator=generator, device=self.device)
            second = (first + offset) % n_views if n_views > 1 else first  # (n,) a different view when there is one
            total = 0.0
            for start in range(0, n - batch + 1, batch):  # full batches only: a tiny last one has too few negatives
                items = order[start : start + batch]  # (b,)
                x1 = self._noisy(z[first[items], items], generator)  # (b, d)
                x2 = self._noisy(z[second[items], items], generator)  # (b, d)
                _, z1 = self.module_(x1)
                _, z2 = self.module_(x2)
                loss = nt_xent(z1, z2, config.temperature)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total += float(loss.detach()) * len(items)
            self.loss_history_.append(total / (n - n % batch))
        self.module_.eval()
        return self

    @torch.no_grad()
    def transform(self, X: Any) -> FloatArray:
        """Adapted representation (m, d_out) float32 of embeddings X (m, d); see ProjectionHead."""
        module = self._fitted()
        x = torch.as_tensor(np.asarray(X, dtype=np.float32))
        if x.ndim != 2 or x.shape[1] != self.n_features_in_:
            raise LearnerError(f"X must be (m, {self.n_features_in_}), got shape {tuple(x.shape)}.")
        chunks = []
        for start in range(0, len(x), _TRANSFORM_ROWS):
            part = (x[start : start + _TRANSFORM_ROWS].to(self.device) - self.mean_) / self.std_  # (b, d)
            chunks.append(module(part)[0].float().cpu())  # (b, d_out)
        if not chunks:
            return np.zeros((0, self.output_dim), dtype=np.float32)
        return torch.cat(chunks).numpy()

    @property
    def output_dim(self) -> int:
        d, config = self.n_features_in_, self.config
        return {"hidden": config.hidden, "concat": d + config.hidden, "residual": d}[config.representation]

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Everything transform needs, as named plain arrays (stored without pickle)."""
        module = self._fitted()
        arrays = {f"param.{k}": v.detach().cpu().numpy() for k, v in module.state_dict().items()}
        return {**arrays, "mean": self.mean_.cpu().numpy(), "std": self.std_.cpu().numpy()}

    @classmethod
    def from_state_arrays(cls, arrays: dict[str, np.ndarray], config: ContrastiveConfig, device: str = "auto") -> Self:
        """Rebuild a fitted adapter from `state_arrays` output and the config it was fitted with."""
        adapter = cls(config, device)
        adapter.mean_ = torch.as_tensor(np.array(arrays["mean"])).to(adapter.device)  # a copy: stores may memory-map
        adapter.std_ = torch.as_tensor(np.array(arrays["std"])).to(adapter.device)
        adapter.n_features_in_ = int(adapter.mean_.shape[0])
        adapter.module_ = adapter._new_module()
        state = {
            k.removeprefix("param."): torch.as_tensor(np.array(v)) for k, v in arrays.items() if k.startswith("param.")
        }
        adapter.module_.load_state_dict(state)
        adapter.module_.eval()
        return adapter

    def _noisy(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return embedding_noise(x, generator, dropout=self.config.feature_dropout, noise=self.config.noise)

    def _new_module(self) -> ProjectionHead:
        with torch.random.fork_rng(devices=[]):  # seeded init without touching the caller's global RNG
            torch.manual_seed(self.config.seed)
            module = ProjectionHead(self.n_features_in_, self.config)
        return module.to(self.device)

    def _fitted(self) -> ProjectionHead:
        if self.module_ is None:
            raise LearnerError("ContrastiveAdapter is not fitted yet: call fit first.")
        return self.module_


def config_for(modality: str, seed: int = 0) -> ContrastiveConfig:
    """Defaults per modality: images contrast augmented views; texts, with one view, get dropout and noise on it.

    Chosen on validation splits carved out of the MNIST-5k and Rotten Tomatoes pools, never their
    test splits; measured in bench/results/adaptation-cpu.md (on texts, no setting tried helped).
    """
    if modality == "text":
        return ContrastiveConfig(feature_dropout=0.1, noise=0.1, seed=seed)
    return ContrastiveConfig(seed=seed)
