"""What `bench.learning_curves --add` plans to run on top of a saved run."""

from typing import Any

from bench.learning_curves import _plan

RANDOM, BADGE = ("random", "random", False), ("badge", "typicality", True)


def saved(variants: list[tuple[str, str, bool]], seeds: int) -> dict[str, Any]:
    return {"curves": [{"strategy": s, "start": start, "diverse": d, "batch_size": b, "seed": seed}
                       for s, start, d in variants for b in (10, 50) for seed in range(seeds)]}  # fmt: skip


def test_more_seeds_extends_only_the_saved_variants() -> None:
    plan = _plan("reuters-r8", True, {"random", "badge", "margin"}, [10, 50], 5, saved([RANDOM, BADGE], 3))
    assert sorted(plan) == sorted((v, b, s) for v in (RANDOM, BADGE) for b in (10, 50) for s in (3, 4))


def test_adding_variants_runs_them_with_the_saved_seeds_and_leaves_the_saved_ones_be() -> None:
    plan = _plan("reuters-r8", True, {"random", "badge", "margin"}, [10], 3, saved([RANDOM, BADGE], 3))
    assert {v for v, _, _ in plan} == {("margin", "typicality", True), ("random", "typicality", False)}
    assert {s for _, _, s in plan} == {0, 1, 2}


def test_a_fresh_light_run_plans_every_light_variant_of_the_wanted_strategies() -> None:
    plan = _plan("digits", True, {"badge", "random"}, [10, 50], 2, None)
    assert sorted(plan) == sorted((v, b, s) for v in (RANDOM, BADGE) for b in (10, 50) for s in (0, 1))
