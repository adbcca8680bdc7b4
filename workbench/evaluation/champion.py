"""``workbench eval promote RUN``: the model in use (the champion), with its lineage and history.

The champion is recorded in ``DIR/eval/champion.json`` (:class:`ChampionRecord`): every
promotion is appended, none is edited or removed, so the report can show who held the title when.
A run is pinned by id (``run:latest`` is resolved at promotion time) and recorded with its run
manifest (path and sha256), the label snapshot it was trained on and its base model.

Examples
--------
>>> entry = ChampionEntry(ref="base", promoted_by="abebe", promoted_at="2026-01-01T00:00:00+00:00")
>>> ChampionRecord(history=[entry]).current.ref
'base'
"""

from __future__ import annotations

import difflib
import getpass
from datetime import UTC, datetime
from pathlib import Path

from workbench.core.config import ProjectConfig
from workbench.core.errors import ConfigError, DataContractError
from workbench.core.io import sha256_file
from workbench.core.layout import Layout
from workbench.core.manifests import (
    ChampionEntry,
    ChampionRecord,
    LabelSnapshotRef,
    read_manifest,
    write_manifest,
)
from workbench.core.models import default_base
from workbench.core.runs import finished_run_dir, run_lineage
from workbench.evaluation.systems import known_refs


def read_champion(data_dir: Path) -> ChampionRecord | None:
    """The champion record, or None when nothing was ever promoted."""
    path = Layout(data_dir).champion
    if not path.exists():
        return None
    return read_manifest(path, ChampionRecord)


def current_champion(data_dir: Path) -> ChampionEntry:
    """The model in use.

    Raises
    ------
    DataContractError
        Nothing was promoted yet.
    """
    record = read_champion(data_dir)
    if record is None:
        msg = ("no champion promoted yet; run `workbench eval promote RUN` first or pass "
               "`--against SYSTEM`")
        raise DataContractError(msg)
    return record.current


def check_champion_base(entry: ChampionEntry, model_dir: str | Path | None, *,
                        where: str) -> None:
    """Refuse to compare against a ``base`` champion that now means another model.

    ``base`` is ``generation.base_model``, else the newest run's base, so a later training run
    or a config change makes it another model; a promotion records the folder it meant.

    Parameters
    ----------
    entry
        The promoted champion.
    model_dir
        The folder ``base`` means in the comparison (None: not known, nothing to check).
    where
        Where that folder comes from, for the message ("now", "in evaluation <id>").

    Raises
    ------
    DataContractError
        The champion is ``base`` and ``model_dir`` is not the folder it was promoted as.
    """
    if entry.ref != "base" or not entry.base_model or model_dir is None:
        return
    promoted = Path(entry.base_model)
    if not promoted.is_dir() or Path(model_dir).resolve() == promoted.resolve():
        return  # an older record naming a hub id has no folder to compare
    if _same_model(promoted, Path(model_dir)):
        return  # a copy of the data dir (or of the model): the same weights elsewhere
    msg = (f"the champion 'base' was promoted as {promoted} ({entry.promoted_at}), but 'base' "
           f"{where} is {model_dir} (generation.base_model, else the newest run's base): "
           "promote the model in use again (`workbench eval promote`) or name the champion "
           "with --against")
    raise DataContractError(msg)


def _same_model(one: Path, other: Path) -> bool:
    """Whether two model folders hold the same config and weights (sizes first, then sha256)."""
    def files(folder: Path) -> dict[str, Path]:
        return {p.name: p for p in sorted(folder.iterdir())
                if p.name == "config.json" or p.suffix in {".safetensors", ".bin"}}
    mine, theirs = files(one), files(other)
    if not mine or mine.keys() != theirs.keys():
        return False
    if any(mine[n].stat().st_size != theirs[n].stat().st_size for n in mine):
        return False
    return all(sha256_file(mine[n]) == sha256_file(theirs[n]) for n in mine)


def champion_entry(data_dir: Path, ref: str, cfg: ProjectConfig, *, by: str,
                   note: str = "") -> ChampionEntry:
    """The entry a promotion of ``ref`` records (a run pinned by id, with its lineage).

    Raises
    ------
    ConfigError
        Unknown ref or a run without output (with what exists).
    """
    when = datetime.now(UTC).isoformat(timespec="seconds")
    if ref.startswith("run:"):
        folder, _out = finished_run_dir(data_dir, ref.removeprefix("run:"))
        lineage = run_lineage(folder)
        return ChampionEntry(
            ref=f"run:{folder.name}", run_id=folder.name, run_manifest=lineage["run_manifest"],
            run_manifest_sha256=lineage["run_manifest_sha256"],
            label_snapshot=LabelSnapshotRef.model_validate(lineage["label_snapshot"]),
            base_model=lineage["base_model"], promoted_by=by, promoted_at=when, note=note)
    if ref == "base":
        # Pinned to the folder it means now: with no generation.base_model, "base" is the
        # newest run's base, which a later run changes.
        folder = default_base(data_dir, cfg.generation.base_model)
        return ChampionEntry(ref=ref, base_model=str(folder), promoted_by=by, promoted_at=when,
                             note=note)
    if ref in known_refs(data_dir):
        return ChampionEntry(ref=ref, promoted_by=by, promoted_at=when, note=note)
    if Path(ref).expanduser().is_dir():
        return ChampionEntry(ref=str(Path(ref).expanduser().resolve()), promoted_by=by,
                             promoted_at=when, note=note)
    known = known_refs(data_dir)
    hint = difflib.get_close_matches(ref, known, n=1)
    did = f" (did you mean '{hint[0]}'?)" if hint else ""
    msg = f"unknown system '{ref}'{did}; available: {', '.join(known)} (or a model folder)"
    raise ConfigError(msg)


def promote(data_dir: Path, ref: str, cfg: ProjectConfig, *, by: str | None = None,
            note: str = "") -> ChampionRecord:
    """Append ``ref`` to the champion history (it becomes the model in use) and save it.

    Parameters
    ----------
    data_dir
        Root of the stage folders.
    ref
        ``run:<id>``, ``run:latest``, ``base``, a baseline, or a model folder.
    cfg
        Project config (the base model's name).
    by
        Who promotes (default: the login name).
    note
        Why, shown in the history.

    Returns
    -------
    ChampionRecord
        The record as written.
    """
    entry = champion_entry(data_dir, ref, cfg, by=by or _login(), note=note)
    previous = read_champion(data_dir)
    record = ChampionRecord(history=[*(previous.history if previous else []), entry])
    write_manifest(Layout(data_dir).champion, record)
    return record


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "unknown"
