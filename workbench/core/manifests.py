"""The manifests stages read from each other, as typed models.

Every stage folder carries a ``manifest.json``. Those another stage reads are declared here, once:
the writer builds the model (so it cannot forget or misspell a key) and the reader loads it with
:func:`read_manifest`, which fails with one line naming the file and the key that is missing,
renamed or unknown. A lineage key that is absent is therefore an error, never a silent null.

The lineage chain they carry::

    eval manifest --systems[*].run_manifest--> run manifest --split_manifest--> splits manifest
        --label_snapshot.path--> labels/snapshots/<id>.parquet (sha256 checked)
        --inputs[texts]--> cleaned manifest --inputs--> parsed manifest --inputs--> raw/<sha>.json

Examples
--------
>>> ref = LabelSnapshotRef(id="20260101T000000000000Z-0123456789ab",
...                        path="labels/snapshots/20260101T000000000000Z-0123456789ab.parquet",
...                        sha256="0" * 64)
>>> ref.id
'20260101T000000000000Z-0123456789ab'
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workbench.core.errors import DataContractError
from workbench.core.io import git_commit, package_versions, read_json_checked, write_json_atomic
from workbench.core.validation import validation_problems


class _Strict(BaseModel):
    """Unknown keys are errors: a renamed key must not pass as a new optional one."""

    model_config = ConfigDict(extra="forbid")


def recorded_path(path: str | os.PathLike[str]) -> str:
    """A file a stage read or names, as its manifest records it.

    Absolute: a path kept as typed (``texts.csv``, ``data/labels/...``) does not say which
    folder it was relative to, so a reader started elsewhere (the web app, a teammate's shell)
    would look in the wrong place; the sha256 beside it says whether the file found there is
    still the one that was read. Ingest's paths are the exception: it writes into a staging
    folder that replaces the data dir's, so it records paths relative to the data dir.

    Examples
    --------
    >>> recorded_path("/data/texts.csv")
    '/data/texts.csv'
    >>> Path(recorded_path("texts.csv")).is_absolute()
    True
    """
    return str(Path(path).resolve())


class InputFile(_Strict):
    """One input of a stage: where it was read and its content hash."""

    path: str
    sha256: str
    role: str | None = None
    rows: int | None = None
    bytes: int | None = None
    raw: str | None = Field(default=None, description="The export's copy under ``raw/``.")
    backend: str | None = None
    annotations: int | None = None


class OutputFile(_Strict):
    """Facts about one output file (or table)."""

    rows: int | None = None
    sha256: str | None = None
    bytes: int | None = None
    empty_texts: int | None = None


class Manifest(_Strict):
    """The envelope every stage manifest shares."""

    stage: str
    created_at: str
    inputs: list[InputFile]
    outputs: dict[str, OutputFile]
    config: dict[str, Any]
    versions: dict[str, str]
    git_commit: str | None


class LabelSnapshotRef(_Strict):
    """The label snapshot a result was built from.

    Attributes
    ----------
    id
        The snapshot's name without suffix (``labels/snapshots/<id>.parquet``), or, for a user
        annotations file given to ``curate``, the file's name.
    path
        The snapshot file as read (it exists when the splits are written).
    sha256
        Its content hash.
    """

    id: str = Field(min_length=1)
    path: str = Field(min_length=1)
    sha256: str = Field(min_length=64, max_length=64)


# --- ingest --------------------------------------------------------------------------------------

class ParsedManifest(Manifest):
    """``parsed/manifest.json``: one input per export (with its ``raw/`` copy)."""

    stage: Literal["parsed"] = "parsed"
    channels: list[dict[str, Any]]
    local_time_zones: dict[str, str] = Field(
        default_factory=dict,
        description="Inputs (by SHA-256) holding messages without date_unixtime, and the time "
        "zone (ingest.export_timezone) their local dates were read in.")


class CleanedManifest(Manifest):
    """``cleaned/manifest.json``: the parsed messages it was cleaned from."""

    stage: Literal["cleaned"] = "cleaned"


# --- labeling ------------------------------------------------------------------------------------

class LabelProjectCount(_Strict):
    """One project's counters on the labeling server at pull time (``label status --from-file``)."""

    key: str = Field(description="Project key (group-1, review...) or, for another project, its title.")
    project_id: int
    tasks: int
    tasks_annotated: int
    annotations: int
    managed: bool = Field(default=True, description="A labeling project `label push` made "
                          "(False: another project of the server, e.g. an evaluation's ratings).")
    tasks_finished: int | None = Field(
        default=None, description="Tasks with every answer their overlap asks for (Label "
        "Studio's 'finished'); None where the backend does not say.")


class LabelsManifest(Manifest):
    """``labels/manifest.json`` and ``labels/snapshots/<id>.json``: one pull."""

    stage: Literal["labels"] = "labels"
    snapshot: str = Field(description="The snapshot file's name under ``labels/snapshots/``.")
    pulled_at: str
    projects: list[LabelProjectCount] = Field(
        default_factory=list, description="Every project's counters at pull time (empty for "
        "snapshots written without a server).")


# --- curation ------------------------------------------------------------------------------------

class SplitTask(_Strict):
    """A curated task as the splits record it."""

    kind: Literal["single", "multi"]
    labels: list[str]
    when: list[str] | None


class SplitsManifest(Manifest):
    """``curated/splits/manifest.json``."""

    stage: Literal["splits"] = "splits"
    label_snapshot: LabelSnapshotRef
    tasks: dict[str, SplitTask]
    counts: dict[str, dict[str, dict[str, int]]]
    excluded: dict[str, int]
    label_source: dict[str, dict[str, int]]
    outliers_included: dict[str, int]
    annotators: int
    clusters_from: str
    notes: list[str]


# --- training ------------------------------------------------------------------------------------

class SftDataManifest(Manifest):
    """``training/data/<recipe>/manifest.json``: the SFT/CPT datasets of one recipe."""

    stage: Literal["training-data"] = "training-data"
    recipe: str
    fingerprint: str
    split_manifest: str
    split_manifest_sha256: str
    label_snapshot: LabelSnapshotRef
    prompt_spec_sha256: str
    dropped: dict[str, int]
    notes: list[str]


class RunManifest(Manifest):
    """``runs/<run_id>/manifest.json``: one training run."""

    stage: Literal["training-run"] = "training-run"
    run_id: str
    status: str
    base_model: str
    base_model_path: str
    base_model_revision: str | None
    data_manifest: str
    split_manifest: str
    split_manifest_sha256: str
    label_snapshot: LabelSnapshotRef
    data_fingerprint: str
    loss_mask: str
    device: str | None = None
    parent_run: str | None = Field(
        default=None, description="The run this one started from (`train run --from`).")


# --- RAG and generation --------------------------------------------------------------------------

class RagIndexManifest(Manifest):
    """``rag/manifest.json``: the index and the splits it holds."""

    stage: Literal["rag-index"] = "rag-index"
    embedder: dict[str, Any]
    fit_corpus_rows: int
    splits: list[str]
    channels: list[str]
    verticals: list[str]
    split_manifest: str
    split_manifest_sha256: str
    label_snapshot: LabelSnapshotRef
    last_sync: dict[str, Any]


class GenerationManifest(Manifest):
    """``generations/<file>.manifest.json``: one batch of candidates."""

    stage: Literal["generation"] = "generation"
    model: dict[str, Any]
    model_facts: dict[str, Any]
    prompt_spec: dict[str, Any]
    decoding: dict[str, Any]
    brief_id: str
    retrieval: dict[str, Any]
    index_embedder: dict[str, Any]
    index_manifest_sha256: str
    label_snapshot: LabelSnapshotRef


# --- evaluation ----------------------------------------------------------------------------------

class EvalManifest(Manifest):
    """``eval/<eval_id>/manifest.json``.

    ``systems`` maps each system to its lineage facts; a fine-tuned system's facts hold its
    ``run_manifest`` path and the ``label_snapshot`` copied from it.
    """

    stage: Literal["evaluation"] = "evaluation"
    eval_id: str
    split_manifest: str
    split_manifest_sha256: str
    label_snapshot: LabelSnapshotRef
    items: dict[str, int]
    prompt_spec: dict[str, Any] | None
    prompt_spec_sha256: str | None
    systems: dict[str, dict[str, Any]]
    run_ids: dict[str, str]
    metrics: dict[str, dict[str, dict[str, Any]]]
    metric_facts: dict[str, Any]
    seconds_per_system: dict[str, float]
    notes: list[str]


class ChampionEntry(_Strict):
    """One promotion: the system ref that became the champion, its lineage, who and when."""

    ref: str = Field(description="The system ref as pinned: run:<id> (never run:latest), base...")
    run_id: str | None = None
    run_manifest: str | None = Field(default=None, description="The run's manifest path.")
    run_manifest_sha256: str | None = None
    label_snapshot: LabelSnapshotRef | None = Field(
        default=None, description="The label snapshot the run was trained on.")
    base_model: str | None = None
    promoted_by: str
    promoted_at: str
    note: str = ""


class ChampionRecord(_Strict):
    """``eval/champion.json``: every champion, oldest first; the last is the model in use.

    Append-only: a promotion adds an entry, none is ever edited or removed.
    """

    history: list[ChampionEntry] = Field(min_length=1)

    @property
    def current(self) -> ChampionEntry:
        """The model in use."""
        return self.history[-1]


class CompareMetric(_Strict):
    """One metric of a compare: both means and the paired difference challenger - champion."""

    metric: str
    higher_is_better: bool | None
    challenger: float
    champion: float
    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int


class HumanPreference(_Strict):
    """Pairwise votes between challenger and champion (a tie counts half)."""

    win_rate: float
    ci_low: float
    ci_high: float
    votes: int


class GateCondition(_Strict):
    """One condition of the suite's gate, with its outcome and why."""

    name: str
    passed: bool
    detail: str


class CompareResult(_Strict):
    """``eval/<eval_id>/compare.json``: challenger vs champion on the same items, and the verdict."""

    eval_id: str
    created_at: str
    task: str
    confidence: float = Field(description="Level of every interval, e.g. 0.95.")
    challenger: str
    champion: str
    champion_record: ChampionEntry | None = Field(
        default=None, description="The promoted champion compared against, if it was the default.")
    gate_metric: str = Field(description="The metric the gate's improvement condition reads.")
    metrics: list[CompareMetric]
    baselines: dict[str, dict[str, float]] = Field(
        description="Baseline -> metric -> mean, for scale.")
    check_pass_rate: dict[str, float | None] = Field(
        description="System -> share of candidates passing the checks (None: not measured).")
    human: HumanPreference | None
    gate: dict[str, Any] = Field(description="The suite's gate as applied.")
    conditions: list[GateCondition]
    wins: bool


# --- reading and writing -------------------------------------------------------------------------

M = TypeVar("M", bound=_Strict)


def envelope(stage: str) -> dict[str, Any]:
    """The facts every manifest records about when and with what it was made.

    Returns
    -------
    dict
        ``stage``, ``created_at`` (UTC, seconds), ``versions``, ``git_commit``.
    """
    return {"stage": stage, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": package_versions(), "git_commit": git_commit()}


def build_manifest(
    stage: str,
    *,
    inputs: Sequence[Mapping[str, Any]],
    outputs: Mapping[str, Mapping[str, Any]],
    config: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A manifest no other stage reads (``final``, ``curated``, tokenizers, merges), as a dict.

    Parameters
    ----------
    stage
        Stage name, e.g. ``"final"``.
    inputs
        One mapping per input, each with at least ``path`` and ``sha256``.
    outputs
        File name -> facts about it (``rows``, ``sha256``...).
    config
        The configuration that produced the outputs.
    extra
        Stage-specific facts.

    Returns
    -------
    dict
        JSON-serialisable manifest: :func:`envelope` plus the above.
    """
    return {
        **envelope(stage),
        "inputs": [dict(i) for i in inputs],
        "outputs": {k: dict(v) for k, v in outputs.items()},
        "config": dict(config or {}),
        **dict(extra or {}),
    }


def write_manifest(path: Path, manifest: _Strict) -> None:
    """Write ``manifest`` as indented UTF-8 JSON, atomically."""
    write_json_atomic(path, manifest.model_dump(mode="json"))


def read_manifest(path: Path, model: type[M], *, hint: str = "") -> M:
    """Load and validate one manifest.

    Parameters
    ----------
    path
        The ``manifest.json`` file.
    model
        The manifest type expected there.
    hint
        What to run when the file is absent (``"run `workbench curate split` first"``).

    Raises
    ------
    DataContractError
        One line naming the file and the first key that is missing, unknown (renamed) or of the
        wrong type; or the file is absent or not JSON.
    """
    data = read_json_checked(path, hint)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise DataContractError(_one_line(path, model, exc)) from None


def _one_line(path: Path, model: type[_Strict], exc: ValidationError) -> str:
    """Missing and unknown keys together (a renamed key is both), else every error."""
    def key(error: Any) -> str:
        return ".".join(str(p) for p in error["loc"]) or "(top level)"

    errors = exc.errors()
    missing = [key(e) for e in errors if e["type"] == "missing"]
    unknown = [key(e) for e in errors if e["type"] == "extra_forbidden"]
    parts = []
    if missing:
        parts.append("missing key(s) " + ", ".join(f"'{k}'" for k in missing))
    if unknown:
        parts.append("unknown key(s) " + ", ".join(f"'{k}'" for k in unknown))
    if not parts:
        parts.extend(validation_problems(exc, model))
    return f"{path}: not a valid {model.__name__}: {'; '.join(parts)}"
