"""The ad studio's data: a company's briefs, generations and picks.

Files a company's work produces live apart from the team's:
``DIR/webapp/briefs/<company>/<brief>.yaml`` and ``DIR/webapp/generations/<company>/*.parquet``
(the same generation files, with the same provenance columns, as ``workbench generate`` writes).
Every read takes the signed-in user's company: another company's row is "not found".

Picking the best candidate is stored as a human preference. A brief has one pick among the
candidates of all its generations, so when a marketer tried several models on a brief, the pick
says which model's ad they preferred over the others': ``DIR/webapp/preferences.parquet`` (one row
per pick: the chosen text and model, whether it copies a past ad (``chosen_is_copy``), every
rejected text with its model; ready for preference tuning), rewritten atomically from the database after each pick, and :func:`studio_votes` turns
the picks into pairwise votes between models for a Bradley-Terry fit (the leaderboard shows it).
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import yaml
from pydantic import ValidationError

from workbench.core.briefs import Brief, BriefFile, known_verticals
from workbench.core.config import ProjectConfig, load_yaml_model
from workbench.core.errors import ConfigError, DataContractError, UnreadableFileError
from workbench.core.io import (
    data_relative,
    read_parquet_checked,
    write_parquet_atomic,
    write_text_atomic,
)
from workbench.core.layout import Layout
from workbench.webapp.brief_form import BriefFormError, field_errors
from workbench.webapp.candidates import VERDICT_COLUMNS, refuse_pick, scope_text, verdict
from workbench.webapp.model_labels import ModelChoice, model_choices, model_label
from workbench.webapp.security import User
from workbench.webapp.store import Store, now_iso

MAX_UPLOAD_BYTES = 64 * 1024
#: Retrieved ads shown when none was in the prompt (the model's context was too small).
RETRIEVED_SHOWN = 3

#: Columns of ``preferences.parquet``.
PREFERENCE_SCHEMA: dict[str, pl.DataType] = {
    "generation_id": pl.Int64, "company": pl.Utf8, "brief_id": pl.Utf8, "model": pl.Utf8,
    "run_id": pl.Utf8, "prompt_sha256": pl.Utf8, "chosen_candidate_id": pl.Utf8,
    "chosen_text": pl.Utf8, "rejected_candidate_ids": pl.List(pl.Utf8),
    "rejected_texts": pl.List(pl.Utf8), "rejected_models": pl.List(pl.Utf8),
    "models_shown": pl.List(pl.Utf8), "picked_by": pl.Utf8, "picked_at": pl.Utf8,
    "chosen_is_copy": pl.Boolean,
}


class NotFoundError(Exception):
    """No such row for this company (the routes answer 404)."""


def company_folder(company: str) -> str:
    """A file-system-safe, collision-free folder name for a company."""
    slug = re.sub(r"[^a-z0-9]+", "-", company.lower()).strip("-")[:40] or "company"
    return f"{slug}-{hashlib.sha256(company.encode()).hexdigest()[:8]}"


# --- briefs ----------------------------------------------------------------------------------


def brief_from_form(fields: dict[str, Any]) -> Brief:
    """Validate the studio form's fields (or an API body) as a brief.

    Raises
    ------
    BriefFormError
        Every field that is wrong, each with its message (``str()``: all on one line).
    """
    # Empty form fields mean "not given" (the brief's defaults apply), not "".
    raw: dict[str, Any] = {k: v for k, v in fields.items()
                           if not (isinstance(v, str) and not v.strip()) and v is not None}
    raw.pop("id", None)
    try:
        return Brief.model_validate(raw)
    except ValidationError as exc:
        raise BriefFormError(field_errors(exc)) from None


def brief_from_upload(data: bytes, filename: str) -> Brief:
    """Validate an uploaded brief YAML (the format of ``workbench/defaults/samples/briefs``).

    Raises
    ------
    ConfigError
        Too large, not UTF-8, invalid YAML or an invalid field; the message names the file.
    """
    name = Path(filename or "brief.yaml").name
    if not re.fullmatch(r"[\w.-]{1,100}", name):
        name = "brief.yaml"
    if len(data) > MAX_UPLOAD_BYTES:
        msg = f"{name}: larger than {MAX_UPLOAD_BYTES // 1024} KiB; a brief is a short YAML file"
        raise ConfigError(msg)
    # The same loader as the CLI, so an upload gets the same one-line messages as a file.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            brief = load_yaml_model(path, Brief)
        except ConfigError as exc:
            raise ConfigError(str(exc).replace(str(path), name)) from None
    return brief.model_copy(update={"id": None})


def save_brief(store: Store, data_dir: Path, user: User, brief: Brief) -> int:
    """Store a validated brief for the user's company; its row id."""
    row = store.write("INSERT INTO briefs (company, user_id, brief_id, path, created_at) "
                      "VALUES (?,?,?,?,?)", user.company, user.id, "", "", now_iso())
    brief_id = f"studio-{row}"
    path = Layout(data_dir).webapp / "briefs" / company_folder(user.company) / f"{brief_id}.yaml"
    body = brief.model_dump(mode="json", exclude_none=True)
    body["id"] = brief_id
    body["contact"] = {k: v for k, v in body["contact"].items()
                       if k in ("phone", "handle", "link", "short_code", "others") and v}
    write_text_atomic(path, yaml.safe_dump(body, allow_unicode=True, sort_keys=False))
    store.write("UPDATE briefs SET brief_id = ?, path = ? WHERE id = ?", brief_id, str(path), row)
    return row


def brief_row(store: Store, user: User, row: int) -> dict[str, Any]:
    """The brief row of the user's company, or NotFoundError."""
    found = store.one("SELECT * FROM briefs WHERE id = ? AND company = ?", row, user.company)
    if found is None or not found["path"]:
        raise NotFoundError
    return found


def load_brief_row(found: dict[str, Any]) -> BriefFile:
    """The stored brief file, validated again (it may have been edited on disk).

    Raises
    ------
    UnreadableFileError
        The file is missing, cut short or no longer a valid brief.
    """
    from workbench.core.briefs import load_brief

    path = Path(found["path"])
    try:
        return load_brief(path)
    except ConfigError as exc:
        raise UnreadableFileError(path, str(exc)) from None


def list_briefs(store: Store, user: User) -> list[dict[str, Any]]:
    """The company's briefs, newest first, with how many generations each has."""
    rows = store.all(
        "SELECT b.id, b.brief_id, b.path, b.created_at, u.email AS author, "
        "(SELECT COUNT(*) FROM generations g WHERE g.brief_row = b.id) AS generations "
        "FROM briefs b LEFT JOIN users u ON u.id = b.user_id "
        "WHERE b.company = ? AND b.path != '' ORDER BY b.id DESC", user.company)
    for r in rows:
        try:
            brief = load_brief_row(r).brief
            r["brand"], r["product"], r["target_channel"] = (brief.brand, brief.product,
                                                             brief.target_channel)
        except UnreadableFileError:
            r["brand"], r["product"], r["target_channel"] = "?", "(brief file unreadable)", "?"
    return rows


# --- options the form offers ------------------------------------------------------------------


def index_channels(data_dir: Path, cfg: ProjectConfig) -> list[str]:
    """Channels in the RAG index (read from its manifest: no LanceDB needed)."""
    from workbench.core.manifests import RagIndexManifest, read_manifest

    path = Layout(data_dir).rag_manifest
    if not path.exists():
        return []
    return list(read_manifest(path, RagIndexManifest).channels)


def studio_models(data_dir: Path, cfg: ProjectConfig) -> list[str]:
    """Models the studio offers: ``web.models`` when set, else every available one."""
    from workbench.generation.registry import available_models

    available = available_models(data_dir, cfg.generation)
    if cfg.web.models is None:
        return available
    return [m for m in cfg.web.models if m in available]


def studio_model_choices(data_dir: Path, cfg: ProjectConfig) -> list[ModelChoice]:
    """:func:`studio_models` with the names the page shows (run date and key metric)."""
    return model_choices(data_dir, studio_models(data_dir, cfg))


def verticals() -> tuple[str, ...]:
    """The taxonomy's verticals."""
    return known_verticals()


# --- generation ------------------------------------------------------------------------------

_local = threading.local()


def _thread_index(data_dir: Path, cfg: ProjectConfig) -> Any:
    """The calling worker thread's opened RAG index, reopened when the index was rebuilt.

    A ``RagIndex`` is not meant to be shared by threads; opening one per request would reload
    the embedder every time.
    """
    from workbench.rag.search import RagIndex

    manifest = Layout(data_dir).rag_manifest
    if not manifest.exists():
        msg = "no retrieval index yet: an analyst must run `workbench rag index` first"
        raise DataContractError(msg)
    key = (str(data_dir), manifest.stat().st_mtime_ns)
    cached = getattr(_local, "index", None)
    if cached is None or cached[0] != key:
        if cached is not None:
            cached[1].close()
        _local.index = (key, RagIndex(data_dir, cfg))
    return _local.index[1]


def generate_for_brief(store: Store, data_dir: Path, cfg: ProjectConfig, user: User, row: int,
                       model: str, n: int) -> int:
    """Generate ``n`` candidates for the company's brief with one model; the generation id.

    Raises
    ------
    NotFoundError
        The brief is not the company's.
    ConfigError
        Unknown model, or a model the studio does not offer.
    """
    from workbench.generation.generate import generate

    found = brief_row(store, user, row)
    if model not in studio_models(data_dir, cfg):
        msg = f"model '{model}' is not offered here; choose one of the list"
        raise ConfigError(msg)
    n = max(1, min(int(n), cfg.web.max_candidates))
    brief_file = load_brief_row(found)
    out_dir = (Layout(data_dir).webapp / "generations" / company_folder(user.company)
               ).relative_to(data_dir).as_posix()
    company_cfg = cfg.model_copy(update={
        "generation": cfg.generation.model_copy(update={"output_dir": out_dir})})
    started = time.perf_counter()
    [output] = generate([brief_file], [model], data_dir, company_cfg, n=n,
                        index=_thread_index(data_dir, cfg))
    seconds = time.perf_counter() - started
    return store.write(
        "INSERT INTO generations (brief_row, company, user_id, model, parquet_path, seconds, "
        "created_at) VALUES (?,?,?,?,?,?,?)", row, user.company, user.id, model,
        str(output.path), seconds, now_iso())


@dataclass
class GenerationView:
    """One generation as the studio shows it."""

    id: int
    model: str
    model_label: str
    created_at: str
    seconds: float
    candidates: list[dict[str, Any]]
    retrieved: list[dict[str, Any]]
    picked: int | None
    retrieved_in_prompt: bool = True
    #: The generation's file relative to the data dir when it cannot be read (no candidates).
    unreadable: str | None = None


def generations_of(store: Store, user: User, row: int) -> list[dict[str, Any]]:
    """The generation rows of the company's brief, newest first."""
    brief_row(store, user, row)
    return store.all("SELECT g.*, p.candidate_index AS picked FROM generations g "
                     "LEFT JOIN picks p ON p.generation_id = g.id "
                     "WHERE g.brief_row = ? AND g.company = ? ORDER BY g.id DESC",
                     row, user.company)


def generation_row(store: Store, user: User, gen_id: int) -> dict[str, Any]:
    """The company's generation row, or NotFoundError."""
    found = store.one("SELECT g.*, p.candidate_index AS picked FROM generations g "
                      "LEFT JOIN picks p ON p.generation_id = g.id "
                      "WHERE g.id = ? AND g.company = ?", gen_id, user.company)
    if found is None:
        raise NotFoundError
    return found


CANDIDATE_COLUMNS = tuple(dict.fromkeys((
    "candidate_index", "candidate_id", "checks_passed", "has_brand", "has_contact",
    "ethiopic_share", "length_units", "retrieved_uids", "context_uids", "retrieval_scope",
    "run_id", "prompt_sha256", "seed", "generate_seconds", *VERDICT_COLUMNS)))


def view_generation(data_dir: Path, cfg: ProjectConfig, found: dict[str, Any]) -> GenerationView:
    """Candidates of a generation row and the past ads that grounded them.

    A generation file that is missing or no longer reads back gives a view without candidates
    that names the file (``unreadable``), so the rest of its brief page still shows.
    """
    try:
        frame = read_parquet_checked(Path(found["parquet_path"]), CANDIDATE_COLUMNS, project=True)
    except DataContractError as exc:
        path = exc.path if isinstance(exc, UnreadableFileError) else Path(found["parquet_path"])
        return GenerationView(id=found["id"], model=found["model"],
                              model_label=model_label(data_dir, found["model"]),
                              created_at=found["created_at"],
                              seconds=float(found["seconds"]), candidates=[], retrieved=[],
                              picked=found["picked"], unreadable=data_relative(path, data_dir))
    candidates = frame.sort("candidate_index").to_dicts()
    uids = list(dict.fromkeys(u for c in candidates for u in (c["context_uids"] or [])))
    in_prompt = bool(uids)
    if not uids and candidates:
        # A model whose context holds no past ad still had them retrieved: show those, saying so.
        uids = list(candidates[0]["retrieved_uids"] or [])[:RETRIEVED_SHOWN]
    for candidate in candidates:
        candidate["verdict"] = verdict(candidate)
        candidate["scope_text"] = scope_text(candidate["retrieval_scope"])
    copied = [c["overlap_uid"] for c in candidates if c["verdict"].is_copy and c["overlap_uid"]]
    sources = {ad["uid"]: ad for ad in past_ads(data_dir, cfg, list(dict.fromkeys(copied)))}
    for candidate in candidates:
        candidate["copied_from"] = (sources.get(candidate["overlap_uid"])
                                    if candidate["verdict"].is_copy else None)
    return GenerationView(id=found["id"], model=found["model"],
                          model_label=model_label(data_dir, found["model"]),
                          created_at=found["created_at"],
                          seconds=float(found["seconds"]), candidates=candidates,
                          retrieved=past_ads(data_dir, cfg, uids), picked=found["picked"],
                          retrieved_in_prompt=in_prompt)


def past_ads(data_dir: Path, cfg: ProjectConfig, uids: list[str]) -> list[dict[str, Any]]:
    """Channel, date and text of indexed ads, in the order of ``uids``."""
    if not uids:
        return []
    index = _thread_index(data_dir, cfg)
    quoted = ", ".join("'" + u.replace("'", "''") + "'" for u in uids)
    rows = (index.table("ads").search().where(f"uid IN ({quoted})")
            .select(["uid", "channel_name", "date", "text"]).limit(len(uids)).to_list())
    by_uid = {r["uid"]: {"uid": r["uid"], "channel": r["channel_name"], "date": r["date"],
                         "text": r["text"]} for r in rows}
    return [by_uid[u] for u in uids if u in by_uid]


# --- picks -----------------------------------------------------------------------------------


def pick_candidate(store: Store, data_dir: Path, user: User, gen_id: int, index: int) -> None:
    """Mark one candidate as the best for its brief (a later pick replaces it).

    Raises
    ------
    NotFoundError
        The generation is not the company's, or has no such candidate.
    ConfigError
        The candidate is empty (:func:`~workbench.webapp.candidates.refuse_pick`).
    UnreadableFileError
        The generation's file is missing or no longer reads back.
    """
    found = generation_row(store, user, gen_id)
    path = Path(found["parquet_path"])
    if not path.exists():
        msg = f"{path}: missing"
        raise UnreadableFileError(path, msg)
    frame = read_parquet_checked(path, ("candidate_index", "candidate_id", *VERDICT_COLUMNS),
                                 project=True)
    match = frame.filter(pl.col("candidate_index") == index)
    if match.is_empty():
        raise NotFoundError
    refuse_pick(match.row(0, named=True))
    store.write("INSERT OR REPLACE INTO picks (brief_row, generation_id, candidate_index, "
                "candidate_id, user_id, company, created_at) VALUES (?,?,?,?,?,?,?)",
                found["brief_row"], gen_id, index, match["candidate_id"][0], user.id,
                user.company, now_iso())
    export_preferences(store, data_dir)


def preferences_path(data_dir: Path) -> Path:
    """``DIR/webapp/preferences.parquet``."""
    return Layout(data_dir).webapp / "preferences.parquet"


_export_lock = threading.Lock()


def export_preferences(store: Store, data_dir: Path) -> Path:
    """Rewrite ``preferences.parquet`` from every pick (idempotent).

    Serialised: two picks at once must not race, the slower writing a file read before the
    other's pick was committed.
    """
    with _export_lock:
        return _export_preferences(store, data_dir)


def _export_preferences(store: Store, data_dir: Path) -> Path:
    picks = store.all("SELECT p.*, u.email FROM picks p LEFT JOIN users u ON u.id = p.user_id "
                      "ORDER BY p.brief_row")
    rows = []
    for p in picks:
        shown = store.all("SELECT id, model, parquet_path FROM generations "
                          "WHERE brief_row = ? AND company = ? ORDER BY id", p["brief_row"],
                          p["company"])
        frames = [frame.with_columns(generation=pl.lit(g["id"]), model=pl.lit(g["model"]))
                  for g in shown if (frame := _picked_candidates(Path(g["parquet_path"])))
                  is not None]
        if not frames:
            continue
        everything = pl.concat(frames)
        is_chosen = ((pl.col("generation") == p["generation_id"])
                     & (pl.col("candidate_index") == p["candidate_index"]))
        chosen = everything.filter(is_chosen)
        rejected = everything.filter(~is_chosen)
        if chosen.is_empty():
            continue
        rows.append({
            "generation_id": p["generation_id"], "company": p["company"],
            "brief_id": chosen["brief_id"][0], "model": chosen["model"][0],
            "run_id": chosen["run_id"][0], "prompt_sha256": chosen["prompt_sha256"][0],
            "chosen_candidate_id": chosen["candidate_id"][0], "chosen_text": chosen["text"][0],
            "rejected_candidate_ids": rejected["candidate_id"].to_list(),
            "rejected_texts": rejected["text"].to_list(),
            "rejected_models": rejected["model"].to_list(),
            "models_shown": list(dict.fromkeys(everything["model"].to_list())),
            "picked_by": p["email"] or f"user {p['user_id']}", "picked_at": p["created_at"],
            "chosen_is_copy": bool(chosen["is_copy"][0]),
        })
    path = preferences_path(data_dir)
    write_parquet_atomic(path, pl.DataFrame(rows, schema=PREFERENCE_SCHEMA))
    return path


def _picked_candidates(path: Path) -> pl.DataFrame | None:
    """What the preference export needs of a generation file (None: missing or unreadable).

    A generation whose file was lost cannot say what it offered: the export leaves it out
    rather than failing every later pick.
    """
    try:
        return read_parquet_checked(path, ("candidate_index", "candidate_id", "text", "brief_id",
                                           "run_id", "prompt_sha256", "is_copy"), project=True)
    except DataContractError:
        return None


def studio_votes(prefs: pl.DataFrame) -> tuple[list[str], list[str], list[str]]:
    """Pairwise votes from picks: the chosen model beat every other model shown for that brief.

    Returns
    -------
    tuple
        ``(systems_a, systems_b, outcomes)`` for
        :func:`workbench.evaluation.bradley_terry.fit_bradley_terry` (outcome ``"a"``: a won).
    """
    a: list[str] = []
    b: list[str] = []
    for row in prefs.iter_rows(named=True):
        for other in dict.fromkeys(row["models_shown"] or []):
            if other != row["model"]:
                a.append(row["model"])
                b.append(other)
    return a, b, ["a"] * len(a)
