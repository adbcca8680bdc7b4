"""The ``labeling:`` section of ``workbench.yaml``: backend, server, projects, overlap.

Every field is optional; command-line flags (``--port``, ``--group``...) override one run.

Examples
--------
>>> cfg = LabelingConfig()
>>> (cfg.backend, cfg.port, cfg.overlap_share, cfg.overlap_annotators)
('labelstudio', 8080, 0.1, 2)
>>> cfg.labelstudio.database.engine
'sqlite'
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from workbench.core.strict_model import StrictModel


class DatabaseConfig(StrictModel):
    """Where the embedded Label Studio keeps its data (SQLite, or PostgreSQL for larger teams)."""

    engine: Literal["sqlite", "postgresql"] = Field(
        default="sqlite",
        description="sqlite: one file under DIR/labelstudio/; postgresql: a server you run.",
    )
    host: str = Field(default="127.0.0.1", description="PostgreSQL host.")
    port: int = Field(default=5432, ge=1, le=65535, description="PostgreSQL port.")
    name: str = Field(default="labelstudio", description="PostgreSQL database name.")
    user: str = Field(default="labelstudio", description="PostgreSQL user.")
    password_env: str = Field(
        default="WORKBENCH_LS_DB_PASSWORD",
        description="Environment variable holding the PostgreSQL password (never the config).",
    )


class LabelStudioConfig(StrictModel):
    """The embedded Label Studio server."""

    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    start_timeout_s: float = Field(
        default=300.0, gt=0,
        description="How long `label serve` waits for the first answer (a fresh DB migrates ~1 min).",
    )
    request_timeout_s: float = Field(
        default=600.0, gt=0, description="Timeout of one API call (a 1,000-task import, an export)."
    )


class LiveConfig(StrictModel):
    """Pre-annotations that learn while annotators label (``label serve --live``)."""

    enabled: bool = Field(
        default=False, description="Start the refresher with `label serve` (same as --live)."
    )
    poll_s: float = Field(
        default=5.0, gt=0, description="How often the refresher asks for the annotation count."
    )
    min_interval_s: float = Field(
        default=30.0, ge=0, description="At most one refresh per this many seconds (debounce)."
    )
    min_new: int = Field(
        default=5, ge=1, description="Refresh only after at least this many new annotations."
    )
    classifier: str | None = Field(
        default=None,
        description="Curation registry classifier fitted on the labels, for every task kind "
        "(default: curation.flag.classifier's entry for the task's kind, single or multi; its "
        "'auto' means that kind's default entry here, comparing models is too slow live).",
    )
    max_tasks: int = Field(
        default=1000, ge=1,
        description="Re-predict at most this many unlabeled tasks per project, the next ones in "
        "the queue (task order): Label Studio takes ~5 s per predictions import call, so all "
        "9,400 of a large project took minutes (bench/live.py).",
    )
    write_batch: int = Field(
        default=500, ge=1, le=5000,
        description="Tasks per predictions delete+import call: short writes leave SQLite's one "
        "write lock free for annotators' submits (one 9,000-task write made them fail).",
    )
    model_version_prefix: str = Field(
        default="live", min_length=1, description="Predictions carry '<prefix>-<labels>-<hash>'."
    )


class ArgillaConfig(StrictModel):
    """The Argilla backend (an argilla-server you run; see labeling/README.md)."""

    url: str = Field(default="http://127.0.0.1:6900", description="argilla-server base URL.")
    api_key_env: str = Field(
        default="ARGILLA_API_KEY", description="Environment variable holding the owner's API key."
    )
    workspace: str = Field(default="workbench", description="Workspace holding the datasets.")


class LabelingConfig(StrictModel):
    """``workbench label ...``: which backend, which server, how tasks are spread."""

    backend: Literal["labelstudio", "argilla"] = Field(
        default="labelstudio", description="Annotation backend used by push/pull/status."
    )
    port: int = Field(
        default=8080, ge=1, le=65535, description="Port of the embedded Label Studio on 127.0.0.1."
    )
    project_prefix: str = Field(
        default="Amharic ads", min_length=1, max_length=30,
        description="Project/dataset titles are '<prefix>: <key>' (key: group-N, ungrouped, review).",
    )
    push_ungrouped: bool = Field(
        default=True,
        description="Without --group, also push messages of no annotator group to 'ungrouped'.",
    )
    overlap_share: float = Field(
        default=0.1, ge=0.0, le=1.0,
        description="Share of each project's tasks labeled by several annotators (agreement).",
    )
    overlap_annotators: int = Field(
        default=2, ge=2, le=10, description="Annotators per overlapping task."
    )
    batch_size: int = Field(
        default=5000, ge=1, le=20000,
        description="Tasks per import call: 5,000 imports as fast as one call (bench/labeling.py); "
                    "an interrupted push loses at most one batch.",
    )
    taxonomy: Path | None = Field(
        default=None, description="Taxonomy file (default: the project's labeling/taxonomy.yaml)."
    )
    rules: Path | None = Field(
        default=None, description="Pre-annotation rules (default: labeling/rules.yaml)."
    )
    labelstudio: LabelStudioConfig = Field(default_factory=LabelStudioConfig)
    live: LiveConfig = Field(default_factory=LiveConfig)
    argilla: ArgillaConfig = Field(default_factory=ArgillaConfig)

    @model_validator(mode="after")
    def _prefix_has_no_colon(self) -> LabelingConfig:
        # The colon separates prefix and key in titles; a prefix with one would be ambiguous.
        if ":" in self.project_prefix:
            msg = f"project_prefix must not contain ':', got {self.project_prefix!r}"
            raise ValueError(msg)
        return self
