"""Second views of the posts, measured for issue #16 beside the classifier (``bench/flags.py``).

Neither is built in (README, "Flag operating points"); kept so the measurements can be re-run.

**Neighbours** (rows ``+ knn K``): leave-one-out k-nearest-neighbour label distributions. Each
item's neighbours are the ``k`` other items most similar to it (cosine over L2-normalised rows,
e.g. the shared char_wb 2-4 TF-IDF); its distribution is their labels weighted by
similarity ** ``power``, plus the other items' class prior weighted as much as an average item's
neighbours together (so an item with no similar neighbour falls back to the prior). The item's
own label is never used: a flipped item's neighbours carry the labels around it.
:func:`mix_by_log_loss` mixes that view with the classifier's probabilities at the weight whose
log loss on the labels as given is lowest, so no flip's ground truth chooses it.

**Syllables split** (rows ``syllables``): each Ge'ez syllable written as two characters, its
consonant (the syllable's first-order form) and its vowel order (a digit), before the character
n-grams. Unicode lays the Ethiopic syllables out in rows of eight, one row per consonant (seven
vowel orders and a labialised form), so the split is arithmetic. Amharic inflects by changing a
syllable's vowel (ሰበረ "he broke", ይሰብራል "he breaks"): split, the forms of one root share n-grams
that whole syllables do not.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Weights of the neighbour view tried by :func:`mix_by_log_loss` (0: the classifier alone).
WEIGHTS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)


def nearest(x: Any, k: int, chunk: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """``(n, k)`` indices and cosine similarities of each row's ``k`` nearest other rows.

    ``x`` is a sparse ``(n, d)`` matrix with L2-normalised rows; the similarities are computed
    ``chunk`` rows at a time (a dense ``chunk x n`` block), so memory stays bounded.
    """
    from scipy.sparse import csr_matrix

    x = csr_matrix(x)
    n = x.shape[0]
    k = min(k, n - 1)
    xt = x.T.tocsr()
    index = np.zeros((n, k), dtype=np.int64)
    similarity = np.zeros((n, k))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        block = np.asarray((x[start:stop] @ xt).todense())
        block[np.arange(stop - start), np.arange(start, stop)] = -np.inf  # never itself
        part = np.argpartition(-block, k - 1, axis=1)[:, :k]
        sims = np.take_along_axis(block, part, axis=1)
        order = np.argsort(-sims, axis=1, kind="stable")
        index[start:stop] = np.take_along_axis(part, order, axis=1)
        similarity[start:stop] = np.take_along_axis(sims, order, axis=1)
    return index, similarity


def neighbour_view(index: np.ndarray, similarity: np.ndarray, labels: np.ndarray,
                   n_classes: int, power: float = 3.0) -> np.ndarray:
    """``(n, n_classes)`` leave-one-out label distributions from :func:`nearest`'s neighbours.

    Examples
    --------
    >>> index = np.array([[1, 2], [0, 2], [0, 1], [2, 0]])
    >>> view = neighbour_view(index, np.ones((4, 2)), np.array([0, 0, 1, 1]), 2, power=1.0)
    >>> view.round(2).tolist()  # item 2 is labeled 1, but both its neighbours are labeled 0
    [[0.42, 0.58], [0.42, 0.58], [0.83, 0.17], [0.58, 0.42]]
    """
    n, k = index.shape
    weight = np.clip(similarity, 0.0, None) ** power
    out = np.zeros((n, n_classes))
    np.add.at(out, (np.repeat(np.arange(n), k), labels[index].ravel()), weight.ravel())
    # The class prior of the *other* items (the item's own label must not count), weighted as
    # an average neighbourhood.
    others = np.bincount(labels, minlength=n_classes) - np.eye(n_classes)[labels]
    out += others / max(labels.size - 1, 1) * weight.sum(axis=1).mean()
    out = np.clip(out, 1e-9, None)
    return out / out.sum(axis=1, keepdims=True)


def mix_by_log_loss(probs: np.ndarray, view: np.ndarray,
                    labels: np.ndarray) -> tuple[np.ndarray, float]:
    """``(1 - w) * probs + w * view`` at the weight whose log loss on ``labels`` is lowest."""
    from workbench.curation.classifiers import log_loss_of

    mixes = [(1 - w) * probs + w * view for w in WEIGHTS]
    best = int(np.argmin([log_loss_of(labels, m) for m in mixes]))
    return mixes[best], WEIGHTS[best]


#: The Ethiopic syllables (U+1200-U+135F); the block's punctuation and numerals follow them.
_SYLLABLES = range(0x1200, 0x1360)


def split_syllables(text: str) -> str:
    """``text`` with every Ge'ez syllable written as its consonant and a vowel-order digit.

    Examples
    --------
    >>> split_syllables("ሰበረ ይሰብራል")
    'ሰ1በ1ረ1 የ6ሰ1በ6ረ4ለ6'
    """
    out = []
    for char in text:
        code = ord(char)
        if code in _SYLLABLES:
            row, order = divmod(code - _SYLLABLES.start, 8)
            out.append(chr(_SYLLABLES.start + 8 * row) + str(order + 1))
        else:
            out.append(char)
    return "".join(out)


def syllable_features(texts: list[str]) -> Any:
    """char_wb 2-6 TF-IDF of the split texts (two characters a syllable: syllable 1-3-grams)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 6), min_df=2, sublinear_tf=True,
                           dtype=np.float32).fit_transform([split_syllables(t) for t in texts])
