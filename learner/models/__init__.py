"""Classifiers with an sklearn-style surface (`fit`, `predict_proba`, learned attributes end in `_`)."""
