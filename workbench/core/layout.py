"""Every path under the data dir, declared once.

A stage never types a folder name: it asks a :class:`Layout` for the path. Renaming a folder is
then a one-line change here, and two stages can never disagree on where a file lives.

::

    DIR/
      raw/                 exports as given, content-addressed
      parsed/              messages.parquet, quarantine.parquet, manifest.json
      cleaned/             messages.parquet, manifest.json
      final/               word frequencies, n-grams, channel stats
      .ingest-staging/     an ingest in progress (committed into the folders above at its end)
      .ingest.lock         held while an ingest runs
      labelstudio/         the embedded Label Studio (database, credentials, log)
      argilla/             Argilla backend state
      labels/              annotations.parquet, quarantine, snapshots/
      curated/             label issues, predictions, dup clusters, outliers, splits/
      training/            data/<recipe>/ (SFT/CPT datasets), tokenizers/, tokenizer-report/,
                           export/<recipe>/ (HF datasets), sweeps/<sweep>/ (sweep manifest, loss curves)
      runs/                one folder per training run
      rag/                 the LanceDB index
      briefs/              brief YAML files indexed with the ads
      generations/         candidate ads
      eval/                one folder per evaluation
      reports/             leaderboard.html / .md and their figures
      webapp/              the web app's database, briefs, generations, picks

Examples
--------
>>> lay = Layout(Path("data"))
>>> lay.splits.as_posix()
'data/curated/splits'
>>> lay.run("tiny-cpu-20260101").as_posix()
'data/runs/tiny-cpu-20260101'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import InputFileError

#: The name of the manifest every output folder carries.
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Layout:
    """The folders and files of one data dir.

    Parameters
    ----------
    root
        The data dir (``--data-dir``); a string is taken as a path (``Layout("data")``).
    """

    root: Path

    def __post_init__(self) -> None:
        # From the Python API a data dir is often a plain string: make it a path once, here.
        object.__setattr__(self, "root", Path(self.root))

    # ingest ----------------------------------------------------------------------------------
    @property
    def ingest_staging(self) -> Path:
        """``.ingest-staging/``: one ingest's parsed parts and outputs until they are committed."""
        return self.root / ".ingest-staging"

    @property
    def ingest_lock(self) -> Path:
        """``.ingest.lock``: held while an ingest runs, so two never share the staging area."""
        return self.root / ".ingest.lock"

    @property
    def raw(self) -> Path:
        """Exports as given, content-addressed by SHA-256."""
        return self.root / "raw"

    @property
    def parsed(self) -> Path:
        """Parsed messages, quarantine and manifest."""
        return self.root / "parsed"

    @property
    def parsed_messages(self) -> Path:
        """``parsed/messages.parquet``."""
        return self.parsed / "messages.parquet"

    @property
    def quarantine(self) -> Path:
        """``parsed/quarantine.parquet``: malformed messages with their reason."""
        return self.parsed / "quarantine.parquet"

    @property
    def cleaned(self) -> Path:
        """Cleaned messages and manifest."""
        return self.root / "cleaned"

    @property
    def cleaned_messages(self) -> Path:
        """``cleaned/messages.parquet``: what labeling, curation and training read."""
        return self.cleaned / "messages.parquet"

    @property
    def final(self) -> Path:
        """Word frequencies, n-grams and channel statistics."""
        return self.root / "final"

    # labeling --------------------------------------------------------------------------------
    @property
    def labelstudio(self) -> Path:
        """The embedded Label Studio's data, credentials and log."""
        return self.root / "labelstudio"

    @property
    def argilla(self) -> Path:
        """Argilla backend state (dataset ids, annotators)."""
        return self.root / "argilla"

    @property
    def labels(self) -> Path:
        """Pulled annotations, quarantine and snapshots."""
        return self.root / "labels"

    @property
    def annotations(self) -> Path:
        """``labels/annotations.parquet``: the newest pull."""
        return self.labels / "annotations.parquet"

    @property
    def label_snapshots(self) -> Path:
        """``labels/snapshots/``: one immutable Parquet file (+ manifest) per pull."""
        return self.labels / "snapshots"

    def label_snapshot(self, snapshot_id: str) -> Path:
        """The snapshot file whose name (without suffix) is ``snapshot_id``."""
        return self.label_snapshots / f"{safe_name(snapshot_id, 'label snapshot')}.parquet"

    @property
    def label_quarantine(self) -> Path:
        """``labels/quarantine.parquet``: answers that failed validation."""
        return self.labels / "quarantine.parquet"

    # curation --------------------------------------------------------------------------------
    @property
    def curated(self) -> Path:
        """Label issues, annotator quality, predictions, dup clusters, outliers, splits."""
        return self.root / "curated"

    @property
    def label_issues(self) -> Path:
        """``curated/label_issues.parquet``."""
        return self.curated / "label_issues.parquet"

    @property
    def predictions(self) -> Path:
        """``curated/predictions.parquet``: out-of-fold probabilities, pre-annotations."""
        return self.curated / "predictions.parquet"

    @property
    def annotator_quality(self) -> Path:
        """``curated/annotator_quality.parquet``."""
        return self.curated / "annotator_quality.parquet"

    @property
    def learning_curve(self) -> Path:
        """``curated/learning_curve.parquet``: accuracy vs number of labels (``curate curve``)."""
        return self.curated / "learning_curve.parquet"

    @property
    def learning_curve_chart(self) -> Path:
        """``curated/learning_curve.png``: the learning curves as a figure."""
        return self.curated / "learning_curve.png"

    @property
    def dup_clusters(self) -> Path:
        """``curated/dup_clusters.parquet``."""
        return self.curated / "dup_clusters.parquet"

    @property
    def outliers(self) -> Path:
        """``curated/outliers.parquet``."""
        return self.curated / "outliers.parquet"

    @property
    def splits(self) -> Path:
        """``curated/splits/``: train/val/test Parquet, manifest, dataset card."""
        return self.curated / "splits"

    def split(self, name: str) -> Path:
        """One split's Parquet file (``train``, ``val`` or ``test``)."""
        return self.splits / f"{name}.parquet"

    @property
    def splits_manifest(self) -> Path:
        """``curated/splits/manifest.json``: what every consumer of the splits reads first."""
        return self.splits / MANIFEST

    @property
    def seed_annotations(self) -> Path:
        """``curated/seed_annotations.parquet``: the demo's stand-in for a pull."""
        return self.curated / "seed_annotations.parquet"

    # training --------------------------------------------------------------------------------
    @property
    def training(self) -> Path:
        """SFT/CPT datasets per recipe and trained tokenizers."""
        return self.root / "training"

    def training_data(self, recipe_name: str) -> Path:
        """``training/data/<recipe>/``: the built SFT/CPT datasets of one recipe."""
        return self.training / "data" / safe_name(recipe_name, "recipe name")

    def training_export(self, recipe_name: str) -> Path:
        """``training/export/<recipe>/``: a recipe's datasets in Hugging Face ``datasets`` format."""
        return self.training / "export" / safe_name(recipe_name, "recipe name")

    def sweep(self, sweep_id: str) -> Path:
        """``training/sweeps/<sweep>/``: a hyperparameter sweep's manifest and comparison plot."""
        return self.training / "sweeps" / safe_name(sweep_id, "sweep id")

    @property
    def tokenizers(self) -> Path:
        """``training/tokenizers/``."""
        return self.training / "tokenizers"

    @property
    def tokenizer_report(self) -> Path:
        """``training/tokenizer-report/``: ``train tokenizer --report`` (table, JSON, plot)."""
        return self.training / "tokenizer-report"

    @property
    def runs(self) -> Path:
        """One folder per training run."""
        return self.root / "runs"

    def run(self, run_id: str) -> Path:
        """The folder of one training run."""
        return self.runs / safe_name(run_id, "run id")

    # generation ------------------------------------------------------------------------------
    @property
    def rag(self) -> Path:
        """The LanceDB index and its manifest."""
        return self.root / "rag"

    @property
    def rag_manifest(self) -> Path:
        """``rag/manifest.json``."""
        return self.rag / MANIFEST

    @property
    def briefs(self) -> Path:
        """``briefs/``: brief YAML files ``rag index`` indexes by default."""
        return self.root / "briefs"

    @property
    def generations(self) -> Path:
        """Candidate ads written by ``workbench generate``."""
        return self.root / "generations"

    # evaluation ------------------------------------------------------------------------------
    @property
    def evals(self) -> Path:
        """One folder per evaluation."""
        return self.root / "eval"

    def eval(self, eval_id: str) -> Path:
        """The folder of one evaluation."""
        return self.evals / safe_name(eval_id, "evaluation id")

    @property
    def champion(self) -> Path:
        """``eval/champion.json``: the model in use and every previous champion."""
        return self.evals / "champion.json"

    def compare(self, eval_id: str) -> Path:
        """``eval/<eval_id>/compare.json``: challenger vs champion and the verdict."""
        return self.eval(eval_id) / "compare.json"

    @property
    def reports(self) -> Path:
        """``workbench report`` output: leaderboard.html / .md and figures."""
        return self.root / "reports"

    # web app ---------------------------------------------------------------------------------
    @property
    def webapp(self) -> Path:
        """The web app's database, briefs, generations, picks and cached reports."""
        return self.root / "webapp"

    def webapp_report(self, eval_id: str) -> Path:
        """``webapp/reports/<eval_id>/``: the leaderboard page's cached report."""
        return self.webapp / "reports" / safe_name(eval_id, "evaluation id")


def safe_name(value: str, what: str) -> str:
    """Return ``value`` when it is usable as one folder name under the data dir.

    Parameters
    ----------
    value
        A run id, evaluation id, snapshot id or recipe name.
    what
        What the value names, for the error message.

    Raises
    ------
    InputFileError
        When the value is empty, a dot name, or holds a path separator: such an id would
        resolve outside its folder.

    Examples
    --------
    >>> safe_name("tiny-cpu-1", "run id")
    'tiny-cpu-1'
    >>> safe_name("..", "run id")
    Traceback (most recent call last):
    ...
    workbench.core.errors.InputFileError: '..' is not a valid run id (a plain name, no '/' and no leading '.')
    """
    if not value or value.startswith(".") or "/" in value or "\\" in value or "\0" in value:
        msg = f"{value!r} is not a valid {what} (a plain name, no '/' and no leading '.')"
        raise InputFileError(msg)
    return value
