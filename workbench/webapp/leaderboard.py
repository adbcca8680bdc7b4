"""What the leaderboard and run pages show: the newest evaluation, and each run's lineage.

The leaderboard reuses the report stage: :func:`workbench.evaluation.report.build_report` writes
the newest evaluation's report (tables, figures) into ``DIR/webapp/reports/<eval_id>/`` once,
again only when the evaluation changed; the page shows its copy-aware tables (sortable with the
report's own script, served as a file: :func:`sort_script`) and figures, and each system's
lineage with a link to the training run it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from workbench.core.errors import DataContractError, UnreadableFileError
from workbench.core.io import read_parquet_checked, sha256_file, write_text_atomic
from workbench.core.layout import Layout
from workbench.core.manifests import RunManifest, SplitsManifest, read_manifest
from workbench.webapp.unreadable import unreadable_name

_NAME = re.compile(r"^[\w.-]{1,120}$")


@dataclass
class Leaderboard:
    """The newest evaluation, ready to render."""

    eval_id: str
    facts: dict[str, Any]
    tables: list[tuple[str, str]]  # (task, HTML table built and escaped by the report stage)
    #: ``name`` (its file's stem) and ``caption`` (the report's own) of each figure.
    figures: list[dict[str, str]]
    lineage: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    #: The evaluation's paired tests on the headline metric (``paired.parquet`` rows).
    paired: list[dict[str, Any]] = field(default_factory=list)
    #: Human pairwise ratings pulled from Label Studio (:func:`preference_rows`), if any.
    human: list[dict[str, Any]] = field(default_factory=list)
    human_votes: int = 0
    #: Votes a system needs before its rating is shown.
    min_votes: int = 0
    #: The report's "Challenger vs champion" section (HTML built and escaped by the report
    #: stage): the verdict of ``eval compare`` on this evaluation, or how to get one.
    comparison: str = ""
    #: Files of the evaluation that did not read back (relative to the data dir); what they
    #: feed is left out and the page names them.
    unreadable: list[str] = field(default_factory=list)


def report_cache(data_dir: Path, eval_id: str) -> Path:
    """``DIR/webapp/reports/<eval_id>/``."""
    return Layout(data_dir).webapp_report(eval_id)


def latest_leaderboard(data_dir: Path) -> Leaderboard | None:
    """The newest finished evaluation's leaderboard, or None when there is none."""
    from workbench.evaluation.bradley_terry import MIN_VOTES
    from workbench.evaluation.eval_dirs import find_eval
    from workbench.evaluation.report import build_report
    from workbench.evaluation.report_compare import comparison_section
    from workbench.evaluation.report_data import load_compare, load_eval
    from workbench.evaluation.report_leaderboard import leaderboard_table

    try:
        eval_dir = find_eval(data_dir, None)
    except DataContractError:
        return None
    data = load_eval(eval_dir)
    out = report_cache(data_dir, eval_dir.name)
    stamp = out / "summary.stamp"
    summary_mtime = str((eval_dir / "summary.json").stat().st_mtime_ns)
    ratings = eval_dir / "ratings.parquet"
    if ratings.exists():
        summary_mtime += f"/{ratings.stat().st_mtime_ns}"
    if not stamp.exists() or stamp.read_text(encoding="utf-8") != summary_mtime:
        result = build_report(data_dir, eval_id=eval_dir.name, out_dir=out)
        write_text_atomic(stamp, summary_mtime)
        names = result.figures
    else:
        names = sorted(p.stem for p in (out / "leaderboard_files").glob("*.png"))
    captions = figure_captions(out / "leaderboard.md")
    figures = [{"name": n, "caption": captions.get(n) or n.replace("-", " ").capitalize()}
               for n in names]
    tasks = list(dict.fromkeys(data.summary["task"].to_list()))
    manifest = data.manifest
    lineage = []
    for name in data.systems:
        facts = manifest.systems.get(name) or {}
        # A fine-tuned system's labels are those of its run; a baseline's, the evaluation's.
        snapshot = facts.get("label_snapshot") or manifest.label_snapshot.model_dump()
        lineage.append({"system": name, "kind": facts.get("kind"), "run_id": facts.get("run_id"),
                        "recipe": facts.get("recipe"),
                        # A local model (the ``base`` system) has no base name: its folder.
                        "base_model": facts.get("base_model") or (
                            _shown_path(data_dir, str(facts["model_dir"]))
                            if facts.get("model_dir") else None),
                        "label_snapshot_id": snapshot["id"],
                        "split_manifest_sha256": facts.get("split_manifest_sha256")
                        or manifest.split_manifest_sha256})
    unreadable: list[str] = []
    try:
        comparison = comparison_section(data, load_compare(data_dir, eval_dir.name)).html
    except UnreadableFileError as exc:  # the rest of the evaluation still shows
        comparison, unreadable = "", [unreadable_name(exc, data_dir)]
    paired = data.paired.filter(pl.col("metric") == data.headline).sort("task", "system_a",
                                                                        "system_b")
    votes: tuple[list[str], list[str], list[str]] = ([], [], [])
    if data.ratings is not None:
        from workbench.evaluation.ratings_pull import rating_votes

        votes = rating_votes(data.ratings)
    return Leaderboard(
        paired=[{**r, "text": _paired_text(r)} for r in paired.iter_rows(named=True)],
        human=preference_rows(*votes, systems=[s for s in data.systems
                                               if s in {*votes[0], *votes[1]}])
        if votes[0] else [],
        human_votes=len(votes[0]), min_votes=MIN_VOTES,
        eval_id=eval_dir.name,
        facts={"suite": data.summary_json.get("suite"), "created_at": manifest.created_at,
               "git_commit": (manifest.git_commit or "")[:10],
               "label_snapshot_id": manifest.label_snapshot.id,
               "split_manifest_sha256": manifest.split_manifest_sha256[:12],
               "headline": data.headline, "ranking": data.ranking},
        tables=[(task, leaderboard_table(data, task).html()) for task in tasks],
        figures=figures, lineage=lineage, notes=list(data.summary_json.get("notes") or []),
        comparison=comparison, unreadable=unreadable)


def sort_script() -> str:
    """The report's table sorter (:data:`~workbench.evaluation.report_page.SORT_SCRIPT`).

    The report inlines it; the app serves it as a same-origin file, since its CSP allows no
    inline script.
    """
    from workbench.evaluation.report_page import SORT_SCRIPT

    return SORT_SCRIPT


def _paired_text(row: dict[str, Any]) -> str:
    """``+0.031 [+0.012, +0.050]`` (the difference A - B and its interval).

    Decimals as the report writes the same difference
    (:func:`~workbench.evaluation.report_tables.digits_for`: ``+54.5``, ``+8.017``).
    """
    from workbench.evaluation.report_tables import digits_for

    values = [row.get(k) for k in ("delta", "ci_low", "ci_high")]
    if any(v is None or v != v for v in values):  # None or NaN
        return "—"
    delta, low, high = values
    d = digits_for(str(row.get("metric") or ""), delta)
    return f"{delta:+.{d}f} [{low:+.{d}f}, {high:+.{d}f}]"


_FIGURE_MD = re.compile(r"!\[(?P<caption>[^\]]*)\]\(leaderboard_files/(?P<name>[\w.-]+)\.png\)")


def figure_captions(markdown: Path) -> dict[str, str]:
    """Figure name -> caption, as the report's Markdown writes them (empty when unreadable).

    Examples
    --------
    >>> import tempfile
    >>> md = Path(tempfile.mkdtemp()) / "leaderboard.md"
    >>> _ = md.write_text("![Win-rate matrix](leaderboard_files/win-rate.png)")
    >>> figure_captions(md)
    {'win-rate': 'Win-rate matrix'}
    """
    try:
        text = markdown.read_text(encoding="utf-8")
    except OSError:
        return {}
    return {m["name"]: m["caption"] for m in _FIGURE_MD.finditer(text)}


def figure_path(data_dir: Path, eval_id: str, name: str) -> Path | None:
    """A cached report figure, or None (names are checked: no path tricks)."""
    if not (_NAME.match(eval_id) and _NAME.match(name)):
        return None
    path = report_cache(data_dir, eval_id) / "leaderboard_files" / f"{name}.png"
    return path if path.is_file() else None


@dataclass
class RunLineage:
    """A training run and everything it was made from."""

    run_id: str
    status: str
    manifest: RunManifest
    last_metrics: dict[str, Any]
    #: The split manifest it trained on, while it is still the current one (else None: the
    #: page then says the splits were made again since and shows the run's own record).
    split_manifest: SplitsManifest | None
    has_plot: bool
    #: The recipe the run was trained with, as YAML (the format of ``training/recipes``).
    config_yaml: str = ""
    #: ``role`` (readable), ``path`` (under the data dir when it is there), ``sha256``.
    inputs: list[dict[str, str]] = field(default_factory=list)


def run_lineage(data_dir: Path, run_id: str) -> RunLineage | None:
    """A run's manifest, last logged metrics and the split manifest it trained on (or None).

    None too for a name that is not a plain run id (no path tricks) or a run without manifest.
    """
    from workbench.core.runs import find_run

    run = find_run(data_dir, run_id)
    if run is None or run.manifest is None:
        return None
    split_manifest = None
    # The splits may have been remade since the run: then the page shows the run's own facts.
    # The data dir's own manifest is read (the recorded path is as typed at training time,
    # maybe relative to another folder); its sha256 says whether it is the one trained on.
    split_path = Layout(data_dir).splits_manifest
    if split_path.is_file() and sha256_file(split_path) == run.manifest.split_manifest_sha256:
        split_manifest = read_manifest(split_path, SplitsManifest)
    manifest = run.manifest
    inputs = [{"role": _input_role(i.role, i.path, manifest),
               "path": _shown_path(data_dir, i.path), "sha256": i.sha256 or ""}
              for i in manifest.inputs or []]
    return RunLineage(run_id=run.run_id, status=run.status, manifest=manifest,
                      last_metrics=run.last_metrics, split_manifest=split_manifest,
                      has_plot=(run.folder / "loss.png").is_file(),
                      config_yaml=yaml.safe_dump(manifest.config, allow_unicode=True,
                                                 sort_keys=False),
                      inputs=inputs)


#: Input roles a run manifest records, as the run page names them.
INPUT_ROLES = {"training-data": "training data (SFT/CPT rows)",
               "split-manifest": "curated splits (manifest)"}


def _input_role(role: str | None, path: str, manifest: RunManifest) -> str:
    """The readable role of a run input; inferred from the manifest when it records none."""
    if role is None:
        role = ("training-data" if path == manifest.data_manifest
                else "split-manifest" if path == manifest.split_manifest else "input")
    return INPUT_ROLES.get(role, role.replace("-", " "))


def _shown_path(data_dir: Path, path: str) -> str:
    """``path`` relative to the data dir when it lies inside it (the analyst knows that root)."""
    try:
        return Path(path).resolve().relative_to(data_dir.resolve()).as_posix()
    except ValueError:
        return path


def run_plot_path(data_dir: Path, run_id: str) -> Path | None:
    """A run's loss plot, or None."""
    from workbench.core.runs import find_run

    run = find_run(data_dir, run_id)
    path = run.folder / "loss.png" if run is not None else None
    return path if path is not None and path.is_file() else None


@dataclass
class StudioPreferences:
    """What marketers' picks in the ad studio say about the models."""

    picks: int
    #: model, briefs shown, picks, pick rate, and :func:`preference_rows` columns.
    models: list[dict[str, Any]]
    votes: int
    min_votes: int


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def preference_rows(a: list[str], b: list[str], outcomes: list[str],
                    systems: list[str] | None = None) -> list[dict[str, Any]]:
    """:func:`~workbench.evaluation.bradley_terry.preference_table` with display texts.

    ``win_text``: ``"67% [21%, 94%]"``; ``rating_text``: ``"1130 [1010, 1260]"``, or, below
    :data:`~workbench.evaluation.bradley_terry.MIN_VOTES` votes, ``"too few votes (95% CI
    [660, 1340])"`` (never a bare rating from a handful of votes).
    """
    from workbench.evaluation.bradley_terry import preference_table

    rows = []
    for row in preference_table(a, b, outcomes, systems=systems):
        interval = f"[{row['rating_low']:.0f}, {row['rating_high']:.0f}]"
        rating = (f"{row['rating']:.0f} {interval}" if row["enough_votes"]
                  else f"too few votes (95% CI {interval})")
        win = (f"{_pct(row['win_rate'])} [{_pct(row['win_low'])}, {_pct(row['win_high'])}]"
               if row["votes"] else "—")
        rows.append({**row, "rating_text": rating, "win_text": win})
    return rows


def studio_preferences(data_dir: Path) -> StudioPreferences | None:
    """The studio's picks per model (None before the first pick).

    Per model: briefs where it was shown, how often its ad was picked, and from the pairwise
    votes the picks imply (:func:`workbench.webapp.studio.studio_votes`): its vote count, win
    rate with its interval, and a Bradley-Terry rating with its bootstrap interval once it has
    enough votes.
    """
    from workbench.evaluation.bradley_terry import MIN_VOTES
    from workbench.webapp.model_labels import model_label
    from workbench.webapp.studio import preferences_path, studio_votes

    path = preferences_path(data_dir)
    if not path.exists():
        return None
    prefs = read_parquet_checked(path, ("model", "models_shown"))
    if prefs.is_empty():
        return None
    a, b, outcomes = studio_votes(prefs)
    voted = {r["system"]: r for r in preference_rows(a, b, outcomes)} if a else {}
    shown = prefs.select(pl.col("models_shown").list.unique()).explode("models_shown")
    shown_counts = dict(shown.group_by("models_shown").len().iter_rows())
    pick_counts = dict(prefs.group_by("model").len().iter_rows())
    no_votes = {"votes": 0, "enough_votes": False, "rating": None, "win_text": "—",
                "rating_text": "no vote yet"}
    models = [{**voted.get(m, no_votes), "model": m, "label": model_label(data_dir, m),
               "briefs": int(n),
               "picks": int(pick_counts.get(m, 0)), "pick_rate": pick_counts.get(m, 0) / n}
              for m, n in shown_counts.items()]
    # Rated models first (strongest first), then by pick rate.
    models.sort(key=lambda r: (not r["enough_votes"], -(r["rating"] or 0.0)
                               if r["enough_votes"] else 0.0, -r["pick_rate"], r["model"]))
    return StudioPreferences(picks=prefs.height, models=models, votes=len(a),
                             min_votes=MIN_VOTES)
