"""The run registry: where training runs live and what each one's folder says about it.

Training writes a run folder (``DIR/runs/<run_id>/``, see :mod:`workbench.training.run`); the
generation registry, the evaluation, the report and the web app read it, all through this module::

    run.json         status (running / finished / failed / interrupted), step, key metrics
    manifest.json    inputs (split manifest sha256, label snapshot), base model, outputs
    trained_uids.txt the messages it trained on (:mod:`workbench.core.trained_on`)
    metrics.jsonl    one line per log / evaluation (and a line per resume)
    adapter/         peft adapter + tokenizer (``model/`` for full fine-tuning)
    merged/          ``workbench train merge`` output, when made

A run id is one plain folder name (:func:`workbench.core.layout.safe_name`): ``..``, dot names
and separators are rejected before any path is built.
"""

from __future__ import annotations

import difflib
import json
import os
import platform
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError, InputFileError, UnreadableFileError
from workbench.core.io import sha256_file
from workbench.core.layout import MANIFEST, Layout
from workbench.core.manifests import RunManifest, read_manifest, recorded_path

#: Status and key metrics of a run, rewritten while it trains.
STATUS_FILE = "run.json"
#: One JSON record per trainer log line.
METRICS_FILE = "metrics.jsonl"
#: ``workbench train merge``'s default output folder inside a run.
MERGED_DIR = "merged"


#: Run ids as training makes them: ``<recipe>-<YYYYMMDD>-<HHMMSS>-<4 hex>`` (UTC), and the
#: ``<recipe>-<YYYYMMDD>T<HHMMSS>Z-<4 hex>`` of earlier versions.
_RUN_ID = re.compile(
    r"^(?P<recipe>.+)-(?P<day>\d{8})(?:-|T)(?P<time>\d{4})\d{2}Z?-[0-9a-f]{4}$")


def run_display_name(run_id: str) -> str:
    """How a trained model is named to people: its recipe and when it was trained.

    Parameters
    ----------
    run_id
        A run folder name.

    Returns
    -------
    str
        ``"<recipe> (trained <date> <HH:MM> UTC)"`` for an id training made; any other id (a
        ``--run-id`` the user chose) as it is.

    Examples
    --------
    >>> run_display_name("tiny-cpu-20261204-162850-3a67")
    'tiny-cpu (trained 2026-12-04 16:28 UTC)'
    >>> run_display_name("tiny-cpu-20240301T080000Z-abcd")
    'tiny-cpu (trained 2024-03-01 08:00 UTC)'
    >>> run_display_name("my-run")
    'my-run'
    """
    found = _RUN_ID.match(run_id)
    if found is None:
        return run_id
    day, clock = found["day"], found["time"]
    return (f"{found['recipe']} (trained {day[:4]}-{day[4:6]}-{day[6:]} "
            f"{clock[:2]}:{clock[2:]} UTC)")


def model_display_name(ref: str) -> str:
    """The name shown for a model reference (``run:<id>``, ``base``, a baseline...).

    The one place that names models for people: the CLI's generation and evaluation output use
    it, so a trained model reads the same everywhere.

    Examples
    --------
    >>> model_display_name("run:tiny-cpu-20261204-162850-3a67")
    'tiny-cpu (trained 2026-12-04 16:28 UTC)'
    >>> model_display_name("run:latest"), model_display_name("template")
    ('the latest finished run', 'template')
    """
    if ref == "run:latest":
        return "the latest finished run"
    if ref.startswith("run:"):
        return run_display_name(ref.removeprefix("run:"))
    return ref


def run_folder(data_dir: Path, run_id: str) -> Path:
    """``DIR/runs/<run_id>`` (the id checked: no ``..``, no separators).

    Raises
    ------
    InputFileError
        When ``run_id`` is not a plain folder name.
    """
    return Layout(data_dir).run(run_id)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # ValueError: not JSON, or not UTF-8
        return {}
    return data if isinstance(data, dict) else {}


def read_status(folder: Path) -> dict[str, Any]:
    """``run.json`` of a run folder (empty dict when absent or unreadable)."""
    return _read_json(folder / STATUS_FILE)


def read_run_manifest(folder: Path) -> RunManifest | None:
    """The typed ``manifest.json`` of a run folder (None before training wrote it).

    Raises
    ------
    DataContractError
        When the file exists but is not a valid run manifest (a renamed or missing key).
    """
    path = folder / MANIFEST
    return read_manifest(path, RunManifest) if path.exists() else None


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """Metric records of a run, with steps redone after a resume counted once (the redo).

    A last line cut short (training killed while writing it) is left out: the records before it
    stand, and a resumed run logs that step again.

    Raises
    ------
    UnreadableFileError
        Any other line is not a JSON record (the file is corrupt).
    """
    if not path.exists():
        return []
    records: list[dict[str, Any]] = []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):
                break
            msg = (f"{path}: line {number} is not a JSON record (corrupt); restore the file or "
                   "delete the line")
            raise UnreadableFileError(path, msg) from None
        if not isinstance(rec, dict):
            msg = f"{path}: line {number} is not a JSON object (corrupt)"
            raise UnreadableFileError(path, msg)
        if rec.get("event") == "resume":
            # Steps logged after the checkpoint but before the kill were redone: drop them.
            records = [r for r in records if r.get("step", 0) <= rec["from_step"]]
        records.append(rec)
    return records


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def effective_status(status: dict[str, Any]) -> str:
    """The stored status, with "running" turned into "killed" when its process is gone.

    Only a run started on this host can be checked: elsewhere "running" is kept.
    """
    state = str(status.get("status", "unknown"))
    pid = status.get("pid")
    if (state == "running" and isinstance(pid, int) and status.get("host") == platform.node()
            and not _alive(pid)):
        return "killed"
    return state


def run_output_dir(folder: Path) -> Path | None:
    """``adapter/`` (peft) or ``model/`` (full fine-tuning) of a run, whichever is complete."""
    if (folder / "adapter" / "adapter_config.json").exists():
        return folder / "adapter"
    if (folder / "model" / "config.json").exists():
        return folder / "model"
    return None


def merged_model_dir(folder: Path) -> Path | None:
    """``merged/`` of a run when ``workbench train merge`` wrote it, else None."""
    merged = folder / MERGED_DIR
    return merged if (merged / "config.json").exists() else None


def _run_folders(data_dir: Path) -> list[Path]:
    root = Layout(data_dir).runs
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def finished_runs(data_dir: Path) -> list[str]:
    """Run ids under ``DIR/runs`` that have a usable output, the newest finished last.

    Ordered by when each finished (``run.json``; a run without one: when it started, else
    first), not by id: ``--run-id sft`` and a sweep's ``tiny-cpu-sweep-...`` do not sort by
    time, and ``run:latest`` must be the run trained last.
    """
    def finished(folder: Path) -> tuple[str, str]:
        status = read_status(folder)
        stamp = status.get("finished_at") or status.get("started_at") or ""
        return (stamp if isinstance(stamp, str) else "", folder.name)

    return [p.name for p in sorted(_run_folders(data_dir), key=finished) if run_output_dir(p)]


def resolve_run_dir(data_dir: Path, run: str) -> Path:
    """The folder of a run that was started: a run id under ``DIR/runs``, or a run folder path.

    Raises
    ------
    ConfigError
        When no started run (a folder with ``run.json``) has that id or path; an id that is not
        a plain name raises :class:`~workbench.core.errors.InputFileError`.
    """
    path = Path(run).expanduser()
    if ("/" in run or "\\" in run) and (path / STATUS_FILE).exists():
        return path
    candidate = run_folder(data_dir, run)
    if (candidate / STATUS_FILE).exists():
        return candidate
    known = [p.name for p in _run_folders(data_dir) if (p / STATUS_FILE).exists()]
    hint = difflib.get_close_matches(run, known, n=1)
    did = f" (did you mean '{hint[0]}'?)" if hint else ""
    shown = ", ".join(known[-5:]) or "none"
    msg = f"run '{run}' not found under {Layout(data_dir).runs}{did} (latest: {shown})"
    raise ConfigError(msg)


def finished_run_dir(data_dir: Path, run_id: str) -> tuple[Path, Path]:
    """A finished run's folder and its output (``adapter/`` or ``model/``).

    ``latest`` names the newest finished run.

    Raises
    ------
    ConfigError
        When the run has no output (with a "did you mean" and the finished runs).
    """
    known = finished_runs(data_dir)
    if run_id == "latest":
        if not known:
            msg = f"run:latest: no finished training run under {Layout(data_dir).runs}"
            raise ConfigError(msg)
        run_id = known[-1]
    folder = run_folder(data_dir, run_id)
    out = run_output_dir(folder) if folder.is_dir() else None
    if out is None:
        hint = difflib.get_close_matches(run_id, known, n=1)
        did = f" (did you mean 'run:{hint[0]}'?)" if hint else ""
        shown = ", ".join(known[-5:]) or "none"
        msg = (f"run '{run_id}' has no adapter/ or model/ under {Layout(data_dir).runs}{did}; "
               f"finished runs: {shown}")
        raise ConfigError(msg)
    return folder, out


def in_this_data_dir(recorded: str, manifest: RunManifest, data_dir: Path) -> Path:
    """Where a path a run recorded is now, when the data dir was copied or moved since.

    Manifests record paths absolutely, so a data dir copied elsewhere still names the
    original's files (the base model built inside it, for one). A recorded path under the data
    dir the run was made in (read from the manifest's training-data path) is mapped to the same
    place under ``data_dir`` when that exists there; any other path is returned as recorded.

    Parameters
    ----------
    recorded
        A path from the run's manifest.
    manifest
        The run's manifest.
    data_dir
        The data dir the run folder is in now.
    """
    path = Path(recorded)
    recipe = str(manifest.config.get("name") or "")
    if not recipe:
        return path
    data_manifest = Path(manifest.data_manifest)
    made_in = next((root for root in data_manifest.parents
                    if Layout(root).training_data(recipe) / MANIFEST == data_manifest), None)
    if made_in is None or not path.is_relative_to(made_in):
        return path
    here = Path(data_dir) / path.relative_to(made_in)
    return here if here.exists() else path


def split_manifest_path(manifest: RunManifest) -> Path:
    """The split manifest a run trained on."""
    return Path(manifest.split_manifest)


@dataclass(frozen=True)
class RunInfo:
    """One run folder as the registry sees it.

    Attributes
    ----------
    run_id
        The folder name.
    folder
        ``DIR/runs/<run_id>``.
    status
        Effective status (:func:`effective_status`; "unknown" without ``run.json``).
    facts
        ``run.json`` as written by training (empty when absent).
    manifest
        ``manifest.json`` (None when absent).
    """

    run_id: str
    folder: Path
    status: str
    facts: dict[str, Any]
    manifest: RunManifest | None

    @property
    def output_dir(self) -> Path | None:
        """``adapter/`` or ``model/`` when the run finished saving one."""
        return run_output_dir(self.folder)

    @property
    def merged_dir(self) -> Path | None:
        """``merged/`` when the adapter was merged into its base."""
        return merged_model_dir(self.folder)

    @property
    def metrics(self) -> list[dict[str, Any]]:
        """Every metric record (:func:`read_metrics`)."""
        return read_metrics(self.folder / METRICS_FILE)

    @property
    def last_metrics(self) -> dict[str, Any]:
        """The newest value of every logged key."""
        last: dict[str, Any] = {}
        for record in self.metrics:
            last.update(record)
        return last

    @property
    def started_at(self) -> str:
        """ISO start time (empty when unknown)."""
        return str(self.facts.get("started_at", ""))

    def lineage(self) -> dict[str, Any]:
        """What the run was made from and what it made, JSON-ready (see :func:`run_lineage`)."""
        return run_lineage(self.folder)


def read_run(folder: Path) -> RunInfo:
    """The :class:`RunInfo` of a run folder."""
    facts = read_status(folder)
    return RunInfo(run_id=folder.name, folder=folder,
                   status=effective_status(facts) if facts else "unknown", facts=facts,
                   manifest=read_run_manifest(folder))


def find_run(data_dir: Path, run_id: str) -> RunInfo | None:
    """The run ``run_id`` when it has a folder with a status or manifest, else None.

    A name that is not a plain run id is None too (a web request must not reach other folders).
    """
    try:
        folder = run_folder(data_dir, run_id)
    except InputFileError:
        return None
    if not ((folder / STATUS_FILE).is_file() or (folder / MANIFEST).is_file()):
        return None
    return read_run(folder)


def list_runs(data_dir: Path) -> list[RunInfo]:
    """Every started run (a folder with ``run.json``), oldest first."""
    runs = [read_run(p) for p in _run_folders(data_dir) if (p / STATUS_FILE).is_file()]
    return sorted(runs, key=lambda r: (r.started_at, r.run_id))


def run_lineage(folder: Path) -> dict[str, Any]:
    """What a run folder says about where its model came from, flat and JSON-ready.

    Keys: run id and folder, the run manifest (path, sha256), status, recipe, base model (name
    and local path), the split manifest and label snapshot it trained on, the data fingerprint,
    the commit, the last step and losses, the sha256 of each saved weight file.

    Raises
    ------
    DataContractError
        When the run has no valid manifest: a run without one has no lineage to show.
    """
    manifest_path = folder / MANIFEST
    manifest = read_manifest(manifest_path, RunManifest)
    status = read_status(folder)
    return {
        "run_id": folder.name, "run_dir": recorded_path(folder),
        "run_manifest": recorded_path(manifest_path), "run_manifest_sha256": sha256_file(manifest_path),
        "run_status": manifest.status,
        "recipe": manifest.config.get("name") or status.get("recipe"),
        "base_model": manifest.base_model, "base_model_path": manifest.base_model_path,
        "split_manifest": manifest.split_manifest,
        "split_manifest_sha256": manifest.split_manifest_sha256,
        "label_snapshot": manifest.label_snapshot.model_dump(),
        "data_fingerprint": manifest.data_fingerprint,
        "run_git_commit": manifest.git_commit,
        "global_step": status.get("global_step") or status.get("step"),
        "train_loss": status.get("train_loss"), "best_eval_loss": status.get("best_eval_loss"),
        "weights": {k: v.sha256 for k, v in manifest.outputs.items()
                    if k.endswith(".safetensors")},
    }
