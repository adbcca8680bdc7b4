"""The labeling step of ``workbench demo``: serve, push the samples, seed a few answers, pull.

The seeded answers come from the samples' ``seed_labels.jsonl`` (the synthetic generator's
intended labels, not human work). They are entered as the account ``seed-labels@workbench.local``
so nobody mistakes them for an annotator's. Every task but the last few of each project is seeded:
enough labeled items for the curation and training steps after it, while the UI still shows open
tasks with their pre-annotations.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workbench.core.config import ProjectConfig
from workbench.core.errors import InputFileError, ServiceError
from workbench.core.resources import sample

SEED_LABELS = sample("telegram/seed_labels.jsonl")

#: The account that enters seed labels (clearly not a person).
SEED_ANNOTATOR = "seed-labels@workbench.local"

#: Tasks left open (unseeded) at the end of each project, so annotators see pre-annotated work.
LEAVE_OPEN_PER_PROJECT = 5


def _server_up(data_dir: Path) -> bool:
    """Whether the credentials in ``data_dir`` reach a Label Studio that accepts them."""
    import httpx

    from workbench.labeling.labelstudio.server import credentials_path, load_credentials

    if not credentials_path(data_dir).exists():
        return False
    creds = load_credentials(data_dir)
    try:
        resp = httpx.get(f"{creds.url}/api/current-user/whoami",
                         headers={"Authorization": f"Token {creds.token}"}, timeout=5)
    except httpx.HTTPError:
        return False
    return resp.status_code == 200


def ensure_server(data_dir: Path, cfg: ProjectConfig) -> tuple[str, bool]:
    """Reuse the data dir's running Label Studio or start one detached; (url, started now)."""
    from workbench.labeling.labelstudio import server

    if _server_up(data_dir):
        return server.load_credentials(data_dir).url, False
    port = cfg.labeling.port
    if not server.port_is_free(port):
        # The demo must not fail because something else holds the usual port.
        port = server.free_port()
    _, creds, _ = server.start(data_dir, cfg.labeling, port=port, detach=True)
    return creds.url, True


def load_seed_labels(path: Path) -> dict[str, dict[str, Any]]:
    """Uid -> seed row of ``seed_labels.jsonl``."""
    if not path.exists():
        msg = f"{path}: seed labels not found (the package was installed without its data)"
        raise InputFileError(msg)
    out = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            msg = f"{path}:{n}: invalid JSON ({exc.msg})"
            raise InputFileError(msg) from None
        out[str(row["uid"])] = row
    return out


def seed_result(row: dict[str, Any], taxonomy: Any) -> list[dict[str, Any]]:
    """A Label Studio result from one seed row, keeping only answers the taxonomy asks for."""
    from workbench.labeling.taxonomy_render import TEXT_NAME

    wide = {task: row.get(task) for task in taxonomy.names}
    answers: dict[str, list[str]] = {}
    for task in taxonomy.names:
        value = wide[task]
        values = [] if value is None else ([value] if isinstance(value, str) else list(value))
        if not taxonomy.applies(task, answers) or taxonomy.validate(task, values) is not None:
            continue
        answers[task] = values
    return [{"from_name": t, "to_name": TEXT_NAME, "type": "choices", "value": {"choices": v}}
            for t, v in answers.items() if v]


def run_demo_step(data_dir: Path, cfg: ProjectConfig, *, seed_labels: Path = SEED_LABELS) -> list[str]:
    """Serve, push the ingested samples, enter a few seed labels, pull; lines to print.

    Parameters
    ----------
    data_dir
        Data dir where ``workbench ingest`` already wrote ``cleaned/messages.parquet``.
    cfg
        The project config.
    seed_labels
        The samples' seed labels.

    Returns
    -------
    list[str]
        What happened and where annotators go (the URL), without secrets.
    """
    import secrets

    import httpx

    from workbench.labeling.backends import labeling_taxonomy
    from workbench.labeling.labelstudio.backend import LabelStudioBackend
    from workbench.labeling.labelstudio.server import load_credentials
    from workbench.labeling.pull import run_pull
    from workbench.labeling.push import run_push

    seeds = load_seed_labels(seed_labels)
    url, started = ensure_server(data_dir, cfg)
    lines = [f"Label Studio {'started' if started else 'already running'} at {url}"]
    results, source = run_push(data_dir, cfg)
    total = sum(r.added + r.existing for r in results)
    lines.append(f"pushed {sum(r.added for r in results)} new task(s) ({total} in "
                 f"{len(results)} project(s)), pre-annotations from {source}")
    taxonomy, _ = labeling_taxonomy(cfg)
    backend = LabelStudioBackend(data_dir, cfg.labeling, taxonomy)
    try:
        entry, _ = backend.add_user(SEED_ANNOTATOR, group=None, password=secrets.token_urlsafe(12))
        token = entry.get("token")
        if not token:
            msg = f"{SEED_ANNOTATOR} exists but its token is not in annotators.json; use a fresh data dir"
            raise ServiceError(msg)
        done = {(r.project, r.uid) for r in backend.fetch() if r.annotator == SEED_ANNOTATOR}
        seeded = 0
        client = httpx.Client(headers={"Authorization": f"Token {token}"}, timeout=60)
        for res in results:
            tasks = [t for t in backend.api.iter_tasks(res.project_id, include="id,data")
                     if t["data"].get("uid") in seeds]
            if len(tasks) > 2 * LEAVE_OPEN_PER_PROJECT:
                tasks = tasks[:-LEAVE_OPEN_PER_PROJECT]
            for task in tasks:
                uid = task["data"]["uid"]
                if (res.key, uid) in done:
                    continue
                result = seed_result(seeds[uid], taxonomy)
                resp = client.post(f"{url}/api/tasks/{task['id']}/annotations/",
                                   json={"result": result})
                if resp.status_code != 201:
                    msg = f"Label Studio refused a seed annotation (HTTP {resp.status_code}): {resp.text[:200]}"
                    raise ServiceError(msg)
                seeded += 1
        client.close()
    finally:
        backend.close()
    lines.append(f"entered {seeded} seed label(s) as {SEED_ANNOTATOR} (the samples' synthetic "
                 "seed labels, NOT human annotations)")
    lines.append(run_pull(data_dir, cfg).line())
    creds = load_credentials(data_dir)
    lines.append(f"annotators open {url} and log in; admin: {creds.username} "
                 f"(password: workbench label serve --show-credentials --data-dir {data_dir})")
    for res in results:
        lines.append(f"  {res.key}: {res.url}")
    lines.append(f"stop it: workbench label stop --data-dir {data_dir}")
    return lines
