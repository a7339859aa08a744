"""Why an item was chosen, in the words an annotator reads on the page ("torn between 3 and 5").

Pure functions of what a model version stored for the item: the strategy, the rank, and the
model's most probable classes. The page shows them only on request, and never pre-selects.
"""

from collections.abc import Sequence

_COMMITTEE = {"vote_entropy", "consensus_entropy", "max_disagreement", "bald", "kl_consensus"}
_CLOSE = 0.25  # top two classes this close in probability read as "torn between"


def _percent(probability: float) -> str:
    return f"{100 * probability:.0f}%"


def why_chosen(*, strategy: str, rank: int, n_ranked: int, top_classes: Sequence[Sequence[object]]) -> str:
    """One sentence: where the item ranked and what its score means for this strategy."""
    place = f"Ranked #{rank + 1:,} of {n_ranked:,} by {strategy.replace('_', ' ')}"
    if strategy == "random":
        return f"{place}: drawn at random, the honest baseline. The model's guess played no part."
    if strategy == "coreset":
        return f"{place}: it lies far from every item labeled so far, so it covers a region the model has not seen."
    if len(top_classes) < 2:
        return f"{place}."
    (first, p1), (second, p2) = top_classes[0], top_classes[1]
    p1, p2 = float(p1), float(p2)  # type: ignore[arg-type]
    who = "the committee's members disagree; together they are" if strategy in _COMMITTEE else "the model is"
    if p1 - p2 <= _CLOSE:
        return f"{place}: {who} torn between {first} ({_percent(p1)}) and {second} ({_percent(p2)})."
    return f"{place}: {who} leaning to {first} ({_percent(p1)}) but unsure; next is {second} ({_percent(p2)})."


def why_cold_start(*, typical: bool) -> str:
    if typical:
        return "No model yet: this is a typical item of one of the pool's clusters, so the first model sees every kind."
    return "No model yet: items come in a seeded random order until the first model is trained."


def why_audit() -> str:
    return ("Drawn at random as an audit item: no strategy chose it. Its label measures the model honestly "
            "and is never trained on.")
