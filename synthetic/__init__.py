"""Seeded synthetic Amharic data for the tests and benchmarks; not part of the installed package.

Nothing here is installed with ``workbench`` (``pyproject.toml`` packages only ``workbench*``) and
no workbench command needs it: the demo runs on the committed samples in
``workbench/defaults/samples`` that :mod:`synthetic.exports` wrote once. Import it from the
checkout root (pytest puts the root on ``sys.path``; ``bench/`` scripts add it themselves).

- :mod:`synthetic.exports`: deterministic Telegram Desktop exports (``result.json``) of Amharic
  ad and news channels with every shape the ingest stage handles, plus their intended labels
  (the committed samples and the ingest benchmark's corpora).
- :mod:`synthetic.corpus`: cleaned-message corpora with known labels, label noise and reposts,
  for the curation tests and benchmarks.
- :mod:`synthetic.splits`: curated train/val/test splits of synthetic ads, made by running the
  real upstream stages (ingest, the pull's writer, ``curate flag``, ``curate split``) on
  synthetic posts, for the training, generation, evaluation and web app tests.
"""
