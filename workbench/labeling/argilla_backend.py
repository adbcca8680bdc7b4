"""Argilla as the labeling backend: the same push/pull interface as Label Studio.

- Settings come from the taxonomy (:func:`~workbench.labeling.taxonomy_render.argilla_settings_spec`):
  a LabelQuestion per single task, a MultiLabelQuestion per multi task, one TextField, metadata
  channel / date / group / message_id.
- Overlap: Argilla's task distribution is per dataset, so each project is two datasets:
  ``<prefix>-<key>`` (one submitted response completes a record) and ``<prefix>-<key>-overlap``
  (``overlap_annotators`` responses). A uid goes to the overlap dataset when a hash of it falls
  under ``overlap_share``: stable across pushes, so a record never moves.
- Records are keyed by ``id = uid``; Argilla upserts by that id, so a re-run or an interrupted push
  never duplicates a message. Suggestions carry the model version as ``agent`` and its score.
- Responses are read through the REST API (``/api/v1/datasets/{id}/records?include=responses``),
  which keeps their timestamps; only ``submitted`` responses count.

The argilla-server needs its own virtualenv and a search engine (see labeling/README.md); the
SDK cannot even build settings objects without one, so the pure conversions here are tested on
their own and the SDK calls are kept thin.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import warnings
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError, ServiceError
from workbench.core.settings.labeling import LabelingConfig
from workbench.core.taxonomy import Taxonomy
from workbench.labeling.annotators import load_annotators, save_annotators
from workbench.labeling.instructions import load_guidelines
from workbench.labeling.records import (
    AnnotatorAccount,
    BatchHook,
    PendingChanges,
    ProjectProgress,
    ProjectPush,
    RawAnnotation,
    TaskRecord,
)
from workbench.labeling.taxonomy_render import TEXT_NAME, argilla_settings, argilla_settings_spec

OVERLAP_SUFFIX = "-overlap"


def slug(text: str) -> str:
    """Argilla-safe name part: lower case, runs of other characters -> '-'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def dataset_name(prefix: str, key: str, *, overlap: bool) -> str:
    """Dataset name of project ``key`` (and of its overlap half)."""
    return f"{slug(prefix)}-{slug(key)}" + (OVERLAP_SUFFIX if overlap else "")


def project_of(prefix: str, name: str) -> str | None:
    """Project key of a dataset name made by :func:`dataset_name` (None: not ours)."""
    head = f"{slug(prefix)}-"
    if not name.startswith(head):
        return None
    key = name[len(head):]
    return key.removesuffix(OVERLAP_SUFFIX)


def in_overlap(uid: str, share: float) -> bool:
    """Whether ``uid`` is one of the overlapping items (stable: a hash, not a random draw)."""
    if share <= 0:
        return False
    bucket = int(hashlib.sha256(uid.encode()).hexdigest()[:8], 16) / 0x1_0000_0000
    return bucket < share


def record_payload(rec: TaskRecord, taxonomy: Taxonomy) -> dict[str, Any]:
    """One Argilla record as plain data (``id`` = uid; suggestions with score and agent)."""
    suggestions = []
    for pred in rec.predictions:
        if not pred.value:
            continue
        multi = taxonomy.task(pred.task).kind == "multi"
        suggestions.append({
            "question_name": pred.task,
            "value": list(pred.value) if multi else pred.value[0],
            # A multi-label suggestion takes one score per label.
            "score": [pred.score] * len(pred.value) if multi else pred.score,
            "agent": rec.model_version,
        })
    return {
        "id": rec.uid,
        "fields": {TEXT_NAME: rec.text},
        "metadata": {"channel": rec.channel, "date": rec.date[:10], "group": rec.group,
                     "message_id": rec.message_id},
        "suggestions": suggestions,
    }


def raws_from_record(key: str, dataset_id: str, record: dict[str, Any],
                     usernames: dict[str, str]) -> list[RawAnnotation]:
    """Submitted responses of one record (REST JSON) as raw annotations, one per user."""
    out = []
    uid = str(record.get("external_id") or "")
    for resp in record.get("responses") or []:
        if resp.get("status") != "submitted":
            continue
        answers: dict[str, list[str]] = {}
        problems: list[tuple[str, str]] = []
        for name, holder in (resp.get("values") or {}).items():
            value = holder.get("value") if isinstance(holder, dict) else None
            if isinstance(value, str):
                answers[name] = [value]
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                answers[name] = list(value)
            else:
                problems.append((name, f"response '{name}' is not a label or a list of labels"))
        user = str(resp.get("user_id"))
        out.append(RawAnnotation(
            uid=uid, project=key, annotator=usernames.get(user, user),
            annotation_id=f"argilla:{dataset_id}:{record.get('id')}:{user}",
            answers=answers,
            created_at=_when(resp.get("inserted_at") or record.get("inserted_at")),
            updated_at=_when(resp.get("updated_at") or resp.get("inserted_at") or record.get("updated_at")),
            lead_time=None, problems=problems, raw={"values": resp.get("values"), "record": uid},
        ))
    return out


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the SDK's "not found" warnings and tqdm bars (a lookup miss is expected here)."""
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore", UserWarning)
        yield


def _when(value: Any) -> datetime:
    if not value:
        return datetime(1970, 1, 1, tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _quietly(method: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _quiet():
            return method(*args, **kwargs)

    wrapper.__doc__ = method.__doc__
    wrapper.__name__ = method.__name__
    return wrapper


def _stale(records: Sequence[TaskRecord], existing: dict[str, dict[str, Any]]) -> list[TaskRecord]:
    """The records already in a dataset whose suggestions lack their model version (push and dry run)."""
    return [r for r in records if r.uid in existing and r.model_version and r.predictions
            and r.model_version not in {s.get("agent") for s in existing[r.uid].get("suggestions") or []}]


class ArgillaBackend:
    """Push/pull against an argilla-server (owner API key from the environment)."""

    name = "argilla"

    def __init__(self, cfg: LabelingConfig, taxonomy: Taxonomy) -> None:
        self.cfg = cfg
        self.taxonomy = taxonomy
        key = os.environ.get(cfg.argilla.api_key_env)
        if not key:
            msg = (f"labeling.backend is argilla but ${cfg.argilla.api_key_env} (the owner's API "
                   "key) is not set")
            raise ServiceError(msg)
        import argilla as rg

        try:
            self.client = rg.Argilla(api_url=cfg.argilla.url, api_key=key)
        except Exception as exc:  # the SDK raises its own hierarchy; report one line
            msg = f"Argilla at {cfg.argilla.url} is not usable: {type(exc).__name__}: {exc}"
            raise ServiceError(msg) from None
        self._http = self.client.api.http_client

    @property
    def source(self) -> str:
        """The server URL."""
        return self.cfg.argilla.url

    def close(self) -> None:
        """Nothing to release (the SDK client holds no server-side state)."""

    def _get(self, path: str, **params: Any) -> Any:
        resp = self._http.get(path, params=params)
        if resp.status_code >= 400:
            msg = f"Argilla at {self.source}: GET {path} -> HTTP {resp.status_code}: {resp.text[:200]}"
            raise ServiceError(msg)
        return resp.json()

    def _workspace(self) -> Any:
        import argilla as rg

        ws = self.client.workspaces(name=self.cfg.argilla.workspace)
        if ws is None:
            ws = rg.Workspace(name=self.cfg.argilla.workspace, client=self.client).create()
        return ws

    def _dataset(self, name: str, min_submitted: int) -> Any:
        import argilla as rg

        ws = self._workspace()
        ds = self.client.datasets(name=name, workspace=ws)
        if ds is None:
            spec = argilla_settings_spec(self.taxonomy, load_guidelines(self.cfg.taxonomy),
                                          min_submitted=min_submitted)
            settings = argilla_settings(spec, self.client)
            ds = rg.Dataset(name=name, workspace=ws, settings=settings, client=self.client).create()
        return ds

    def _records_json(self, dataset_id: str, include: Sequence[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        offset, limit = 0, 1000
        while True:
            body = self._get(f"/api/v1/datasets/{dataset_id}/records", offset=offset, limit=limit,
                             include=list(include))
            items = body.get("items", [])
            out.extend(items)
            if len(items) < limit:
                return out
            offset += limit

    def push(self, records_by_project: dict[str, Sequence[TaskRecord]], *,
             limit: int | None = None, on_batch: BatchHook | None = None) -> list[ProjectPush]:
        """Create the datasets and log the records each lacks (upsert by uid)."""
        import argilla as rg

        out = []
        for key, records in records_by_project.items():
            summary = ProjectPush(key=key, project_id=0, url=f"{self.source}/dataset")
            halves = {False: [r for r in records if not in_overlap(r.uid, self.cfg.overlap_share)],
                      True: [r for r in records if in_overlap(r.uid, self.cfg.overlap_share)]}
            budget = limit
            for overlap, recs in halves.items():
                if not recs:
                    continue
                with _quiet():
                    ds = self._dataset(dataset_name(self.cfg.project_prefix, key, overlap=overlap),
                                       self.cfg.overlap_annotators if overlap else 1)
                existing = {str(r.get("external_id")): r
                            for r in self._records_json(str(ds.id), ["suggestions"])}
                summary.existing += len(existing)
                new = [r for r in recs if r.uid not in existing]
                stale = _stale(recs, existing)
                if budget is not None:
                    summary.skipped_by_limit += max(0, len(new) - budget)
                    new = new[:budget]
                    budget -= len(new)
                size = self.cfg.batch_size
                for start in range(0, len(new), size):
                    batch = [record_payload(r, self.taxonomy) for r in new[start:start + size]]
                    with _quiet():
                        ds.records.log([rg.Record(**b) for b in _for_sdk(batch)], batch_size=len(batch))
                    summary.added += len(batch)
                    if on_batch is not None:
                        on_batch(key, summary.added)
                if stale:
                    with _quiet():
                        ds.records.log([rg.Record(**b) for b in
                                        _for_sdk([record_payload(r, self.taxonomy) for r in stale])],
                                       batch_size=size)
                    summary.predictions_added += len(stale)
                summary.url = f"{self.source}/dataset/{ds.id}/annotation-mode"
            out.append(summary)
        return out

    @_quietly
    def pending_changes(self, records_by_project: dict[str, Sequence[TaskRecord]]) -> dict[str, PendingChanges]:
        """Per project, the records already there a push would give new suggestions; creates nothing.

        Edited messages are not compared here: an Argilla push keeps a record's text as pushed.
        """
        ws = self.client.workspaces(name=self.cfg.argilla.workspace)
        out: dict[str, PendingChanges] = {}
        for key, records in records_by_project.items():
            count = 0
            for overlap in (False, True):
                name = dataset_name(self.cfg.project_prefix, key, overlap=overlap)
                ds = self.client.datasets(name=name, workspace=ws) if ws is not None else None
                if ds is None:
                    continue
                existing = {str(r.get("external_id")): r
                            for r in self._records_json(str(ds.id), ["suggestions"])}
                recs = [r for r in records if in_overlap(r.uid, self.cfg.overlap_share) == overlap]
                count += len(_stale(recs, existing))
            out[key] = PendingChanges(predictions=count)
        return out

    @_quietly
    def existing_uids(self, keys: Sequence[str]) -> dict[str, set[str]]:
        """The uids each project's datasets already hold; creates nothing."""
        ws = self.client.workspaces(name=self.cfg.argilla.workspace)
        out: dict[str, set[str]] = {}
        for key in keys:
            uids: set[str] = set()
            for overlap in (False, True):
                name = dataset_name(self.cfg.project_prefix, key, overlap=overlap)
                ds = self.client.datasets(name=name, workspace=ws) if ws is not None else None
                if ds is not None:
                    uids.update(str(r.get("external_id")) for r in self._records_json(str(ds.id), []))
            out[key] = uids
        return out

    @_quietly
    def add_user(self, email: str, *, group: int | None, password: str | None,
                 data_dir: Path) -> tuple[dict[str, Any], bool]:
        """Create an annotator (role annotator, in the workspace), or record an existing one's group.

        The password is never stored (the caller shows a generated one once).
        """
        import argilla as rg

        email = email.strip().lower()
        registry = load_annotators(data_dir, "argilla")
        entry = dict(registry.get(email, {}))
        entry.pop("password", None)
        user = self.client.users(username=email)
        created = user is None
        if created:
            if password is None:
                msg = f"annotator {email} does not exist; a new account needs a password"
                raise ConfigError(msg)
            user = rg.User(username=email, password=password, role="annotator", client=self.client).create()
            entry.update(created_at=datetime.now(UTC).isoformat(timespec="seconds"))
        ws = self._workspace()
        if email not in {u.username for u in ws.users}:
            user.add_to_workspace(ws)
            entry.pop("removed_at", None)
        if group is not None:
            entry["group"] = group
        entry.setdefault("group", None)
        registry[email] = entry
        save_annotators(data_dir, registry, "argilla")
        return entry, created

    def has_user(self, email: str) -> bool:
        """Whether the server has this user."""
        return self.client.users(username=email.strip().lower()) is not None

    def accounts(self, data_dir: Path) -> list[AnnotatorAccount]:
        """Every user of the server; active = member of the workspace."""
        registry = load_annotators(data_dir, "argilla")
        members = {u.username for u in self._workspace().users}
        out = []
        for user in self.client.users.list():
            entry = registry.get(user.username, {})
            out.append(AnnotatorAccount(
                email=user.username, group=entry.get("group"), active=user.username in members,
                workbench="created_at" in entry, created_at=entry.get("created_at"),
                removed_at=entry.get("removed_at"), admin=user.role == "owner"))
        return out

    def remove_user(self, email: str, data_dir: Path) -> bool:
        """Take an annotator out of the workspace (responses kept); False when already out."""
        email = email.strip().lower()
        user = self.client.users(username=email)
        if user is None:
            msg = f"no annotator {email} on {self.source} (list them: workbench label users ls)"
            raise ConfigError(msg)
        ws = self._workspace()
        removed = email in {u.username for u in ws.users}
        if removed:
            user.remove_from_workspace(ws)
        registry = load_annotators(data_dir, "argilla")
        entry = dict(registry.get(email, {"group": None}))
        entry.setdefault("removed_at", datetime.now(UTC).isoformat(timespec="seconds"))
        registry[email] = entry
        save_annotators(data_dir, registry, "argilla")
        return removed

    def _managed(self) -> list[tuple[str, Any]]:
        ws = self.client.workspaces(name=self.cfg.argilla.workspace)
        if ws is None:
            return []
        found = []
        for ds in ws.datasets:
            key = project_of(self.cfg.project_prefix, ds.name)
            if key is not None:
                found.append((key, ds))
        return found

    @_quietly
    def fetch(self) -> list[RawAnnotation]:
        """Every submitted response of every managed dataset."""
        usernames = {str(u.id): u.username for u in self.client.users.list()}
        out = []
        for key, ds in self._managed():
            for record in self._records_json(str(ds.id), ["responses"]):
                out.extend(raws_from_record(key, str(ds.id), record, usernames))
        return out

    @_quietly
    def progress(self) -> list[ProjectProgress]:
        """Records, records with a submitted response, and responses, per project."""
        totals: dict[str, ProjectProgress] = {}
        for key, ds in self._managed():
            records = self._records_json(str(ds.id), ["responses"])
            p = totals.setdefault(key, ProjectProgress(key=key, project_id=0, tasks=0,
                                                        tasks_annotated=0, annotations=0))
            p.tasks += len(records)
            submitted = [[r for r in rec.get("responses") or [] if r.get("status") == "submitted"]
                         for rec in records]
            p.tasks_annotated += sum(1 for s in submitted if s)
            p.annotations += sum(len(s) for s in submitted)
        return [totals[k] for k in sorted(totals)]


def _for_sdk(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Plain payloads -> keyword arguments of ``argilla.Record``."""
    import argilla as rg

    return [{"id": p["id"], "fields": p["fields"], "metadata": p["metadata"],
             "suggestions": [rg.Suggestion(question_name=s["question_name"], value=s["value"],
                                           score=s["score"], agent=s["agent"])
                             for s in p["suggestions"]]}
            for p in payloads]
