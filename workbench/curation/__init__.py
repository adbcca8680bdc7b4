"""Curation: noisy labels and annotators (cleanlab), near-duplicates, outliers, leakage-free splits.

Modules, one job each: ``inputs`` (read and validate texts and annotations), ``classifiers``
(out-of-fold probabilities, by name), ``flag`` (label issues), ``multiannotator`` (consensus
and annotator quality: Dawid-Skene, CROWDLAB for multi-label), ``ties`` (tied answers and a
classifier that never learns them), ``dedup`` (MinHash clusters), ``outliers``, ``split``,
``check`` (leakage), ``card`` (dataset card), ``cli`` (``workbench curate``), ``demo``,
``synthetic`` (seeded labeled corpora for tests and benchmarks).

Importing this package is cheap: scikit-learn, cleanlab and matplotlib are imported inside the
functions that need them.
"""
