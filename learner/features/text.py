"""Text features: TF-IDF over words and word pairs, reduced by truncated SVD (LSA).

Latent semantic analysis (Deerwester et al., 1990): SVD of the TF-IDF matrix, rows then
L2-normalised so that dot products are cosine similarities. It is fitted on every text of the
project, labeled or not (transductive): unlabeled text is free information about the vocabulary.
"""

from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from learner.exceptions import LearnerError

# From this many texts on, terms seen in a single text are dropped (min_df=2) as noise.
_MIN_TEXTS_FOR_MIN_DF_2 = 20


def text_features(texts: Sequence[str], n_components: int = 256, seed: int = 0) -> np.ndarray:
    """LSA features for `texts` (n,) -> float32 (n, d), rows of unit L2 norm (zero for empty texts).

    d = min(n_components, n_terms - 1, n): the SVD cannot have as many components as terms and
    gains nothing past the rank n. With a single term the TF-IDF column itself is returned.
    Raises LearnerError when the texts contain no usable word at all.
    """
    if n_components < 1:
        raise LearnerError(f"n_components must be >= 1, got {n_components}.")
    if len(texts) == 0:
        return np.zeros((0, 0), dtype=np.float32)
    tfidf = _tfidf(texts)  # (n, n_terms) sparse, rows L2-normalised
    d = min(n_components, tfidf.shape[1] - 1, len(texts))
    if d < 1:
        return tfidf.toarray().astype(np.float32)  # (n, 1): one term, nothing to reduce
    reduced = TruncatedSVD(n_components=d, random_state=seed).fit_transform(tfidf)  # (n, d)
    return normalize(reduced).astype(np.float32)


def _tfidf(texts: Sequence[str]) -> csr_matrix:
    """TF-IDF (n, n_terms) over 1- and 2-grams with sublinear term frequency."""
    min_dfs = (2, 1) if len(texts) >= _MIN_TEXTS_FOR_MIN_DF_2 else (1,)
    error = ValueError("no vectorizer ran")
    for min_df in min_dfs:  # min_df=2 prunes everything when no two texts share a word: keep all then
        vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=min_df, ngram_range=(1, 2))
        try:
            return vectorizer.fit_transform(texts)
        except ValueError as exc:  # empty vocabulary: only stop words, punctuation or 1-char tokens
            error = exc
    raise LearnerError(f"No usable words in {len(texts)} texts to build text features: {error}") from error
