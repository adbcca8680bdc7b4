"""What the stages share, owned once: the layer every stage imports from and nothing imports up.

- :mod:`~workbench.core.layout`: every path under the data dir.
- :mod:`~workbench.core.schemas`: the Parquet schema of every file stages exchange.
- :mod:`~workbench.core.io`: atomic writes, hashes, package versions.
- :mod:`~workbench.core.manifests`: the typed manifests stages read from each other (lineage).
- :mod:`~workbench.core.config` and :mod:`~workbench.core.settings`: ``workbench.yaml``.
- :mod:`~workbench.core.taxonomy`: the annotation taxonomy.
- :mod:`~workbench.core.errors`: the user-error hierarchy (one line, exit 2).

The import rule (stages import only downward, ``core`` imports no stage) is checked by
``lint-imports`` in ``make test``; the contract is in ``pyproject.toml``.
"""
