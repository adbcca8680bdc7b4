"""Label Studio as the labeling backend: projects, push (idempotent), annotations, users.

Projects are found by title (``"<prefix>: <key>"``), so the server stays the single source of
truth: a push interrupted after creating a project, or run from another checkout of the same data
dir, finds it again. Tasks are keyed by ``data.uid``; Label Studio task ids are never used as keys
(SQLite reuses them after a project is deleted).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError, ServiceError
from workbench.core.settings.labeling import LabelingConfig
from workbench.core.taxonomy import Taxonomy
from workbench.labeling.annotators import load_annotators, refuse_removed, save_annotators
from workbench.labeling.instructions import instructions_html, load_guidelines
from workbench.labeling.labelstudio.annotations import raw_annotation
from workbench.labeling.labelstudio.api import MAX_TITLE, LabelStudioApi, signup
from workbench.labeling.labelstudio.server import Credentials, load_credentials, ls_dir
from workbench.labeling.labelstudio.task_diff import TaskDiff, current_version, diff_tasks
from workbench.labeling.project_names import project_description, project_key, project_title
from workbench.labeling.records import (
    REVIEW_PROJECT,
    AnnotatorAccount,
    BatchHook,
    PendingChanges,
    ProjectProgress,
    ProjectPush,
    RawAnnotation,
    TaskRecord,
)
from workbench.labeling.taxonomy_render import TEXT_NAME, label_studio_xml


@dataclass
class LabelStudioBackend:
    """Push/pull against the Label Studio server of one data dir."""

    data_dir: Path
    cfg: LabelingConfig
    taxonomy: Taxonomy
    creds: Credentials = field(init=False)
    api: LabelStudioApi = field(init=False)

    name = "ls"

    def __post_init__(self) -> None:
        self.creds = load_credentials(self.data_dir)
        self.api = LabelStudioApi(self.creds, timeout=self.cfg.labelstudio.request_timeout_s)

    @property
    def source(self) -> str:
        """The server URL."""
        return self.creds.url

    def close(self) -> None:
        """Close the HTTP client."""
        self.api.close()

    # --- projects ------------------------------------------------------------------------------

    def title(self, key: str) -> str:
        """Project title for ``key``: the annotator's job and the group (see project_names)."""
        title = project_title(self.cfg.project_prefix, key, self.taxonomy, MAX_TITLE)
        if len(title) > MAX_TITLE:
            msg = f"project title '{title}' is longer than Label Studio's {MAX_TITLE} characters"
            raise ServiceError(msg)
        return title

    def managed_projects(self) -> dict[str, dict[str, Any]]:
        """Project key -> project, for every project titled by :meth:`title`.

        Titles of the older ``"<prefix>: <key>"`` form count too; the next push renames them.
        """
        found: dict[str, dict[str, Any]] = {}
        projects = self.api.projects(title_contains=f"{self.cfg.project_prefix}: ")
        for project in sorted(projects, key=lambda p: p["id"]):
            key = project_key(self.cfg.project_prefix, project.get("title") or "")
            if key is not None:
                found.setdefault(key, project)
        return found

    def project_settings(self, key: str) -> dict[str, Any]:
        """Label Studio settings of project ``key``: generated config, instructions, overlap."""
        review = key == REVIEW_PROJECT
        overlap = 0 if review else self.cfg.overlap_share
        settings: dict[str, Any] = {
            "label_config": label_studio_xml(self.taxonomy, review=review),
            "title": self.title(key),
            "expert_instruction": instructions_html(self.taxonomy, load_guidelines(self.cfg.taxonomy)),
            "show_instruction": True,
            "show_skip_button": True,
            "enable_empty_annotation": False,
            "show_collab_predictions": True,
            "maximum_annotations": self.cfg.overlap_annotators if overlap > 0 else 1,
            "overlap_cohort_percentage": round(overlap * 100) if overlap > 0 else 100,
            "description": project_description(key, self.taxonomy),
        }
        return settings

    def ensure_project(self, key: str, *,
                       known: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
        """Create the project for ``key``, or update the settings that changed."""
        projects = known if known is not None else self.managed_projects()
        wanted = self.project_settings(key)
        project = projects.get(key)
        if project is None:
            project = self.api.create_project(**wanted)
            projects[key] = project
            return project
        # Only send what changed: a changed overlap makes Label Studio reshuffle the cohort.
        changed = {k: v for k, v in wanted.items() if not _same(project.get(k), v)}
        if changed:
            project = self.api.update_project(project["id"], **changed)
            projects[key] = project
        return project

    def project_url(self, project_id: int) -> str:
        """Where annotators open a project."""
        return f"{self.creds.url}/projects/{project_id}/data"

    # --- push ----------------------------------------------------------------------------------

    def task_payload(self, rec: TaskRecord) -> dict[str, Any]:
        """One import item: the message data keyed by ``uid`` and its prediction, if any."""
        data: dict[str, Any] = {
            "uid": rec.uid, "text": rec.text, "meta": rec.meta, "channel": rec.channel,
            "date": rec.date, "message_id": rec.message_id, "group": rec.group,
            # Pull maps labels given under an older taxonomy version forward (Taxonomy.migrate).
            "taxonomy_version": self.taxonomy.version,
        }
        if rec.review_note is not None:
            data["review_note"] = rec.review_note
        task: dict[str, Any] = {"data": data}
        prediction = self._prediction(rec)
        if prediction is not None:
            task["predictions"] = [prediction]
        return task

    def _prediction(self, rec: TaskRecord) -> dict[str, Any] | None:
        result = [
            {"from_name": p.task, "to_name": TEXT_NAME, "type": "choices",
             "value": {"choices": list(p.value)}, "score": p.score}
            for p in rec.predictions if p.value
        ]
        if not result or rec.model_version is None:
            return None
        # The task-level score is the weakest shown answer's: what an uncertainty sort should see.
        score = min(item["score"] for item in result)
        return {"model_version": rec.model_version, "score": score, "result": result}

    def push(
        self,
        records_by_project: dict[str, Sequence[TaskRecord]],
        *,
        limit: int | None = None,
        on_batch: BatchHook | None = None,
    ) -> list[ProjectPush]:
        """Create/update the projects and import the records each lacks.

        Parameters
        ----------
        records_by_project
            Project key -> records, in the order annotators should see them.
        limit
            At most this many NEW tasks per project in this push.
        on_batch
            Called after each imported batch (progress; tests use it to interrupt a push).

        Returns
        -------
        list[ProjectPush]
            One summary per project.

        Notes
        -----
        Exactly-once per uid: the uids already in the project are listed first and skipped, each
        batch is one import call, and after the import the project's task count is checked; on a
        mismatch (a concurrent import, a retried call) the tasks are listed again and surplus
        copies of a uid without annotations are deleted.
        """
        out = []
        with self._push_lock():
            known = self.managed_projects()
            for key, records in records_by_project.items():
                project = self.ensure_project(key, known=known)
                out.append(self._push_project(key, project, records, limit, on_batch))
        return out

    def existing_uids(self, keys: Sequence[str]) -> dict[str, set[str]]:
        """The uids each project already holds (empty for a project not created yet); reads only."""
        projects = self.managed_projects()
        return {key: set(self._listing(projects[key]["id"])) if key in projects else set()
                for key in keys}

    def task_ids(self, project_id: int) -> dict[str, list[dict[str, Any]]]:
        """Map each uid to its tasks in a project (for links to an item in the labeling UI)."""
        return self._listing(project_id)

    def _listing(self, project_id: int) -> dict[str, list[dict[str, Any]]]:
        """Map each uid to the tasks carrying it (normally one): ``id,data,total_annotations``."""
        by_uid: dict[str, list[dict[str, Any]]] = {}
        for task in self.api.iter_tasks(project_id, include="id,data,total_annotations"):
            uid = (task.get("data") or {}).get("uid")
            if uid is not None:
                by_uid.setdefault(str(uid), []).append(task)
        return by_uid

    def _dedupe(self, by_uid: dict[str, list[dict[str, Any]]], project_id: int) -> int:
        """Delete surplus unannotated copies of a uid; keep the most annotated (then oldest)."""
        dupes = {uid: tasks for uid, tasks in by_uid.items() if len(tasks) > 1}
        if not dupes:
            return 0
        counts = {int(t["id"]): int(t.get("total_annotations") or 0)
                  for t in self.api.iter_tasks(project_id, include="id,total_annotations")}
        removed = 0
        for tasks in dupes.values():
            ranked = sorted(tasks, key=lambda t: (-counts.get(int(t["id"]), 0), t["id"]))
            keep = [ranked[0]]
            for extra in ranked[1:]:
                if counts.get(int(extra["id"]), 0) == 0:
                    self.api.delete_task(extra["id"])
                    removed += 1
                else:
                    keep.append(extra)
            tasks[:] = keep
        return removed

    def _push_project(self, key: str, project: dict[str, Any], records: Sequence[TaskRecord],
                      limit: int | None, on_batch: BatchHook | None) -> ProjectPush:
        project_id = project["id"]
        summary = ProjectPush(key=key, project_id=project_id, url=self.project_url(project_id))
        by_uid = self._listing(project_id)
        summary.duplicates_removed += self._dedupe(by_uid, project_id)
        summary.existing = len(by_uid)
        current = current_version(records)
        diff = self._diff(project, records, by_uid)
        new, missing_predictions = diff.new, diff.predictions
        summary.edited_after_labeling = diff.edited_after_labeling
        if diff.updates:
            # Edited since pushed, annotated by nobody yet: the new text, and its pre-annotation
            # instead of the ones made on the old text.
            self.api.delete_predictions(project_id, [task_id for task_id, _ in diff.updates])
            for task_id, data in diff.updates:
                self.api.update_task(task_id, data=data)
            for start in range(0, len(diff.update_predictions), self.cfg.batch_size):
                self.api.import_predictions(
                    project_id, diff.update_predictions[start:start + self.cfg.batch_size])
            summary.updated = len(diff.updates)
        if limit is not None and len(new) > limit:
            summary.skipped_by_limit = len(new) - limit
            new = new[:limit]
        size = self.cfg.batch_size
        for start in range(0, len(new), size):
            batch = new[start:start + size]
            self.api.import_tasks(project_id, [self.task_payload(r) for r in batch])
            summary.added += len(batch)
            if on_batch is not None:
                on_batch(key, summary.added)
        for start in range(0, len(missing_predictions), size):
            batch = missing_predictions[start:start + size]
            self.api.import_predictions(project_id, batch)
            summary.predictions_added += len(batch)
        expected = summary.existing + summary.added
        if self.api.project(project_id).get("task_number") != expected:
            summary.duplicates_removed += self._dedupe(self._listing(project_id), project_id)
        if current and project.get("model_version") != current:
            # The version whose predictions pre-fill the labeling form; Label Studio accepts it
            # only once predictions of that version exist, hence after the import.
            self.api.update_project(project_id, model_version=current)
        return summary

    def _diff(self, project: dict[str, Any], records: Sequence[TaskRecord],
              by_uid: dict[str, list[dict[str, Any]]]) -> TaskDiff:
        """What a push changes in ``project`` (shared with the dry run: see ``task_diff``)."""
        current = current_version(records)
        # Which tasks lack the current predictions: only worth listing when the project was not
        # already brought to this model version by a finished push.
        task_versions: dict[int, str] = {}
        if by_uid and current and project.get("model_version") != current:
            for t in self.api.iter_tasks(project["id"], include="id,predictions_model_versions"):
                task_versions[int(t["id"])] = str(t.get("predictions_model_versions") or "")
        return diff_tasks(records, by_uid, task_versions, self.task_payload)

    def pending_changes(self, records_by_project: dict[str, Sequence[TaskRecord]]) -> dict[str, PendingChanges]:
        """Per project, what a push would change in the tasks already there; reads only."""
        projects = self.managed_projects()
        out: dict[str, PendingChanges] = {}
        for key, records in records_by_project.items():
            if key in projects:
                diff = self._diff(projects[key], records, self._listing(projects[key]["id"]))
                out[key] = PendingChanges(predictions=len(diff.predictions), updated=len(diff.updates),
                                          edited_after_labeling=diff.edited_after_labeling)
        return out

    @contextmanager
    def _push_lock(self) -> Iterator[None]:
        path = ls_dir(self.data_dir) / "push.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                msg = f"another push to {self.creds.url} is running for {self.data_dir} ({path})"
                raise ServiceError(msg) from None
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # --- pull ----------------------------------------------------------------------------------

    def user_emails(self) -> dict[int, str]:
        """User id -> e-mail."""
        return {int(u["id"]): str(u.get("email") or u["id"]) for u in self.api.users()}

    def fetch(self) -> list[RawAnnotation]:
        """Every submitted annotation of every managed project (skipped tasks left out)."""
        emails = self.user_emails()
        out: list[RawAnnotation] = []
        for key, project in self.managed_projects().items():
            for task in self.api.export_annotated(project["id"]):
                data = task.get("data") or {}
                version = data.get("taxonomy_version")
                for ann in task.get("annotations") or []:
                    if ann.get("was_cancelled"):
                        continue
                    raw = raw_annotation(key, project["id"], data.get("uid"), ann, emails)
                    raw.taxonomy_version = version if isinstance(version, int) else None
                    out.append(raw)
        return out

    def progress(self) -> list[ProjectProgress]:
        """Server counters of every managed project, then of the server's other projects.

        The others are the evaluations' rating projects (and anything made by hand): annotators
        work in them too, so status shows them, keyed by title. One full listing carries every
        project's counters.
        """
        managed: dict[str, dict[str, Any]] = {}
        others: list[dict[str, Any]] = []
        for project in sorted(self.api.projects(), key=lambda p: p["id"]):
            key = project_key(self.cfg.project_prefix, project.get("title") or "")
            if key is None:
                others.append(project)
            elif key not in managed:
                managed[key] = project
        rows = [(key, p, True) for key, p in sorted(managed.items())]
        rows += [(str(p.get("title") or f"project {p['id']}"), p, False) for p in others]
        out = []
        for key, project, is_managed in rows:
            counts = project if project.get("task_number") is not None else self.api.project(project["id"])
            out.append(ProjectProgress(
                key=key, project_id=project["id"], tasks=int(counts.get("task_number") or 0),
                tasks_annotated=int(counts.get("num_tasks_with_annotations") or 0),
                annotations=int(counts.get("total_annotations_number") or 0), managed=is_managed,
                tasks_finished=int(counts.get("finished_task_number") or 0),
            ))
        return out

    # --- users ---------------------------------------------------------------------------------

    def add_user(self, email: str, *, group: int | None, password: str | None,
                 data_dir: Path | None = None) -> tuple[dict[str, Any], bool]:
        """Create an annotator account, or record the group of an existing one.

        Returns its registry entry and whether it is new. The password is never stored (the
        caller shows a generated one once); the new account's API token is (mode 0600).
        ``data_dir`` is accepted for symmetry with the Argilla backend (this one knows its own).

        Raises
        ------
        ConfigError
            The account does not exist and no password was given, or it was removed.
        """
        email = email.strip().lower()
        registry = load_annotators(self.data_dir)
        entry = dict(registry.get(email, {}))
        entry.pop("password", None)  # registries written before passwords stopped being stored
        created = False
        # Label Studio keeps a removed account (its e-mail stays taken) but lists it no more.
        refuse_removed(self.data_dir, email)
        if not self.has_user(email):
            if password is None:
                msg = f"annotator {email} does not exist; a new account needs a password"
                raise ConfigError(msg)
            token = signup(self.creds.url, self.api.invite_token(), email, password)
            entry.update(token=token, created_at=datetime.now(UTC).isoformat(timespec="seconds"))
            created = True
        if group is not None:
            entry["group"] = group
        entry.setdefault("group", None)
        registry[email] = entry
        save_annotators(self.data_dir, registry)
        return entry, created

    def has_user(self, email: str) -> bool:
        """Whether the server has an account with this e-mail."""
        email = email.strip().lower()
        return any(str(u.get("email", "")).lower() == email for u in self.api.users())

    def accounts(self, data_dir: Path | None = None) -> list[AnnotatorAccount]:
        """Every account of the server (the admin first), with the registry's group and state."""
        registry = load_annotators(self.data_dir)
        server = [str(u.get("email") or "").lower()
                  for u in sorted(self.api.users(), key=lambda u: int(u["id"]))]
        # Registry entries the server no longer lists were removed there.
        gone = sorted(set(registry) - set(server))
        out = []
        for email in [*server, *gone]:
            entry = registry.get(email, {})
            out.append(AnnotatorAccount(
                email=email, group=entry.get("group"),
                active=email not in gone and not entry.get("removed_at"),
                workbench="created_at" in entry, created_at=entry.get("created_at"),
                removed_at=entry.get("removed_at"), admin=email == self.creds.username.lower()))
        return out

    def remove_user(self, email: str, data_dir: Path | None = None) -> bool:
        """Deactivate an annotator: out of the organisation, annotations kept.

        Returns False when the account was already removed.

        Raises
        ------
        ConfigError
            No such account, or it is the admin account the workbench works as.
        """
        email = email.strip().lower()
        if email == self.creds.username.lower():
            msg = f"{email} is the admin account the workbench uses; it cannot be removed"
            raise ConfigError(msg)
        users = {str(u.get("email", "")).lower(): int(u["id"]) for u in self.api.users()}
        registry = load_annotators(self.data_dir)
        if email not in users:
            # Label Studio stops listing a removed member: removed here before, or in its UI.
            if email in registry:
                entry = dict(registry[email])
                entry.setdefault("removed_at", datetime.now(UTC).isoformat(timespec="seconds"))
                registry[email] = entry
                save_annotators(self.data_dir, registry)
                return False
            msg = f"no annotator {email} on {self.source} (list them: workbench label users ls)"
            raise ConfigError(msg)
        removed = self.api.remove_member(users[email])
        entry = dict(registry.get(email, {"group": None}))
        entry.setdefault("removed_at", datetime.now(UTC).isoformat(timespec="seconds"))
        registry[email] = entry
        save_annotators(self.data_dir, registry)
        return removed


def _same(have: Any, want: Any) -> bool:
    # Label Studio strips surrounding whitespace from the stored labeling config.
    if isinstance(have, str) and isinstance(want, str):
        return have.strip() == want.strip()
    return have == want
