"""Tweezer's learner: the framework-free machine-learning half of active learning.

Features (pixels, TF-IDF + LSA), a small torch softmax classifier, query strategies that
score an unlabeled pool (higher score = ask first) and the selection that ranks it, tied
together by `learner.training.run_round`. Only numpy, scipy, scikit-learn, torch and Pillow:
no Django, no Celery, so it works the same in a worker and in a notebook.

Submodules are imported explicitly (`from learner.strategies import SCORERS`); this file
imports nothing so that `import learner` stays cheap.
"""
