"""Labeling: Label Studio (default) or Argilla as the annotation backend, driven by the taxonomy.

Kept import-light: ``workbench --help`` imports this package's config only; the Label Studio SDK,
Argilla and polars-heavy modules are imported inside the functions that need them.
"""
