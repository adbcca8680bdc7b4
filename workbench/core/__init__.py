"""What the stages share, owned once: the layer every stage imports from and nothing imports up.

- :mod:`~workbench.core.layout`: every path under the data dir.
- :mod:`~workbench.core.schemas`: the Parquet schema of every file stages exchange.
- :mod:`~workbench.core.manifests`: typed manifests and the ``label_snapshot`` lineage key.
- :mod:`~workbench.core.io`: atomic writes and hashes.
- :mod:`~workbench.core.config` and :mod:`~workbench.core.settings`: ``workbench.yaml``.
- :mod:`~workbench.core.resources`, :mod:`~workbench.core.project_folder`: packaged defaults,
  the project folder's copies, ``workbench init``.
- :mod:`~workbench.core.taxonomy`: the annotation taxonomy.
- :mod:`~workbench.core.amharic`: Amharic text rules (Polars and per-string forms).
- :mod:`~workbench.core.briefs`, :mod:`~workbench.core.brief_derivation`: the one ``Brief``.
- :mod:`~workbench.core.prompts`: the one prompt builder and the prompt spec of a run.
- :mod:`~workbench.core.runs`: the run registry.
- :mod:`~workbench.core.models`, :mod:`~workbench.core.sampling`,
  :mod:`~workbench.core.endpoints`: the one model loader and sampling loop.
- :mod:`~workbench.core.agreement`: inter-annotator agreement.
- :mod:`~workbench.core.errors`: the user-error hierarchy (one line, exit 2).

The import rule (stages import only downward, ``core`` imports no stage, no import circle) is
checked by ``lint-imports`` in ``make test``; the contracts are in ``pyproject.toml``.
"""
