"""The labeling app owns Tweezer's data: projects, items, labels, assignments, model versions."""
