"""Labeling fixtures: ONE real Label Studio for the whole session, shared by the labeling tests.

A fresh Label Studio database takes about a minute of migrations on two cores, so it is migrated
once: the session server is started through the real CLI (`workbench label serve --detach`), and
right after its first start its SQLite DB is copied (sqlite3 backup API, safe while it runs) into
pytest's cache as a template, keyed by the Label Studio version. A later session starts from that
copy in seconds. Each test gets its own data dir pointing at the session server and its own project
prefix, so tests never see each other's projects.

``web_world`` (session): one data dir with every stage output the web app shows, built once by the
real stages (see ``tests/webapp_world.py``) and shared by the web app's tests.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.webapp_world import WebWorld
from workbench.core.config import ProjectConfig
from workbench.core.settings.labeling import LabelingConfig

# Subprocesses (the real `workbench` entry point, servers) import the checkout under test from
# any working folder: a relative PYTHONPATH such as `PYTHONPATH=.` would name the folder a test
# runs them in, and they would import whatever other workbench the interpreter has installed.
_CHECKOUT = str(Path(__file__).resolve().parents[1])
os.environ["PYTHONPATH"] = os.pathsep.join(
    [_CHECKOUT, *(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                  if p and Path(p).resolve() != Path(_CHECKOUT))])


@dataclass(frozen=True)
class SessionServer:
    """The session's Label Studio."""

    data_dir: Path
    url: str
    port: int
    serve_stdout: str
    from_template: bool

    @property
    def credentials(self) -> Path:
        return self.data_dir / "labelstudio" / "credentials.json"


@dataclass(frozen=True)
class LabelingEnv:
    """A test's own data dir and config, wired to the session server."""

    data_dir: Path
    cfg: ProjectConfig
    server: SessionServer


def run_workbench(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the real `workbench` CLI in a subprocess (no terminal: stdin is empty)."""
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True,
                          stdin=subprocess.DEVNULL, text=True, timeout=timeout, check=False)


def _ls_data_target(ls_root: Path) -> tuple[Path, Path | None]:
    """Where Label Studio's files go: tmpfs when there is one (faster SQLite), else on disk."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        target = Path(tempfile.mkdtemp(prefix="wb-ls-test-", dir=shm))
        (ls_root / "data").symlink_to(target)
        return target, target
    (ls_root / "data").mkdir()
    return ls_root / "data", None


def _save_template(data: Path, creds: Path, template: Path) -> None:
    tmp = template.with_name(template.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with contextlib.closing(sqlite3.connect(data / "label_studio.sqlite3")) as src, \
            contextlib.closing(sqlite3.connect(tmp / "label_studio.sqlite3")) as dst:
        src.backup(dst)
    if (data / ".env").exists():  # Label Studio's generated SECRET_KEY
        shutil.copy2(data / ".env", tmp / ".env")
    shutil.copy2(creds, tmp / "credentials.json")
    shutil.rmtree(template, ignore_errors=True)
    tmp.rename(template)


@pytest.fixture(scope="session")
def ls_server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[SessionServer]:
    """A real Label Studio on 127.0.0.1 (free port), started and stopped through the CLI."""
    from workbench.labeling.labelstudio.server import free_port

    version = importlib.metadata.version("label-studio")
    template = Path(request.config.cache.mkdir("labelstudio-template")) / version
    root = tmp_path_factory.mktemp("ls-session")
    ls_root = root / "labelstudio"
    ls_root.mkdir()
    data, shm = _ls_data_target(ls_root)
    from_template = (template / "label_studio.sqlite3").exists()
    if from_template:
        for name in ("label_studio.sqlite3", ".env"):
            if (template / name).exists():
                shutil.copy2(template / name, data / name)
        shutil.copy2(template / "credentials.json", ls_root / "credentials.json")
    port = free_port()
    out = run_workbench("label", "serve", "--detach", "--port", str(port), "--data-dir", str(root))
    if out.returncode != 0:
        log = ls_root / "server.log"
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        pytest.fail(f"label serve failed: {out.stderr}\n{tail}")
    if not from_template:
        _save_template(data, ls_root / "credentials.json", template)
    server = SessionServer(data_dir=root, url=f"http://127.0.0.1:{port}", port=port,
                           serve_stdout=out.stdout, from_template=from_template)
    try:
        yield server
    finally:
        run_workbench("label", "stop", "--data-dir", str(root), timeout=120)
        if shm is not None:
            shutil.rmtree(shm, ignore_errors=True)


@pytest.fixture
def labeling_env(ls_server: SessionServer, tmp_path: Path) -> LabelingEnv:
    """A fresh data dir using the session server, with a project prefix of its own."""
    data_dir = tmp_path / "data"
    (data_dir / "labelstudio").mkdir(parents=True)
    creds = json.loads(ls_server.credentials.read_text(encoding="utf-8"))
    dest = data_dir / "labelstudio" / "credentials.json"
    dest.write_text(json.dumps(creds), encoding="utf-8")
    dest.chmod(0o600)
    cfg = ProjectConfig(labeling=LabelingConfig(
        port=ls_server.port, project_prefix=f"t{secrets.token_hex(4)}", batch_size=50))
    return LabelingEnv(data_dir=data_dir, cfg=cfg, server=ls_server)


@pytest.fixture(scope="session")
def web_world(tmp_path_factory: pytest.TempPathFactory) -> WebWorld:
    """One data dir with every stage output the web app shows (built once, about 25 s)."""
    from tests.webapp_world import build_world

    return build_world(tmp_path_factory.mktemp("web"))
