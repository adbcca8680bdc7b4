"""The nearest training text of an output by character n-gram overlap, through an inverted index.

Novelty is ``1 - overlap_ratio`` with the most similar training text, where ``overlap_ratio`` is
the copy check's own measure (:func:`workbench.generation.checks.overlap_ratio`: shared
character n-grams of the normalised words over the n-grams of the shorter text). Comparing an
output with every training text pair by pair costs one set intersection per text; the index maps
each n-gram to the texts that hold it, so one output touches only the texts it shares an n-gram
with.

Examples
--------
>>> from workbench.core.config import CleaningConfig
>>> index = NgramIndex([("a", "ቤት ለኪራይ በቦሌ አካባቢ"), ("b", "ጫማ በቅናሽ ዋጋ")],
...                    n=4, cleaning=CleaningConfig())
>>> index.nearest("ቤት ለኪራይ በቦሌ")
('a', 1.0)
>>> index.nearest("ሰላም")
(None, 0.0)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from workbench.core.config import CleaningConfig
from workbench.generation.checks import char_grams, skeleton


class NgramIndex:
    """Inverted index of character n-grams over ``(uid, text)`` pairs.

    Parameters
    ----------
    texts
        ``(uid, text)`` of the texts an output must not copy (the train split).
    n
        n-gram length (the checks' ``overlap_ngram``).
    cleaning
        The project's cleaning config (texts are compared as normalised words).
    """

    def __init__(self, texts: Iterable[tuple[str, str]], *, n: int,
                 cleaning: CleaningConfig) -> None:
        self.n = n
        self.cleaning = cleaning
        self.uids: list[str] = []
        self.texts: dict[str, str] = {}
        self._sizes: list[int] = []
        self._postings: dict[str, list[int]] = {}
        for uid, text in texts:
            grams = char_grams(skeleton(text or "", cleaning), n)
            if not grams:
                continue
            doc = len(self.uids)
            self.uids.append(uid)
            self.texts[uid] = text
            self._sizes.append(len(grams))
            for gram in grams:
                self._postings.setdefault(gram, []).append(doc)

    def __len__(self) -> int:
        return len(self.uids)

    def nearest(self, text: str) -> tuple[str | None, float]:
        """The indexed text with the largest overlap ratio with ``text``, and that ratio.

        Returns ``(None, 0.0)`` when no indexed text shares an n-gram. Ties go to the text
        indexed first, so the answer does not depend on hashing.
        """
        grams = char_grams(skeleton(text or "", self.cleaning), self.n)
        if not grams:
            return None, 0.0
        shared: Counter[int] = Counter()
        for gram in grams:
            shared.update(self._postings.get(gram, ()))
        best_doc, best = None, 0.0
        for doc in sorted(shared):
            ratio = shared[doc] / min(len(grams), self._sizes[doc])
            if ratio > best:
                best_doc, best = doc, ratio
        return (None, 0.0) if best_doc is None else (self.uids[best_doc], best)
