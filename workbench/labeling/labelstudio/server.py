"""Start, find and stop the embedded Label Studio server; create and keep its credentials.

Layout under ``DIR/labelstudio/``:

- ``credentials.json`` (mode 0600): ``url``, ``username``, ``password``, ``token``; created on the
  first ``serve`` and reused, because Label Studio only applies them when it creates the user.
- ``server.json``: the running server (pid, port, url, log); removed by ``stop``.
- ``server.log``: Label Studio's output.
- ``data/``: Label Studio's own data (SQLite DB, media, exports) unless PostgreSQL is configured.

The folder is the owner's only (0700, every file in it 0600): the SQLite DB holds the admin token
in plain text and the password hashes. Label Studio runs with umask 077, and the tree is
tightened again before and after each start (a DB made by an older version stays private too).

Label Studio binds to 127.0.0.1 only (``--internal-host``; its default is 0.0.0.0), telemetry and
version checks are off, and it never writes into the user's home (``XDG_CONFIG_HOME`` points here).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workbench.core.errors import ServiceError
from workbench.core.io import restrict_to_owner, write_json_atomic
from workbench.core.layout import Layout
from workbench.core.settings.labeling import LabelingConfig

HOST = "127.0.0.1"
DEFAULT_USERNAME = "admin@workbench.local"


def ls_dir(data_dir: Path) -> Path:
    """``DIR/labelstudio``."""
    return Layout(data_dir).labelstudio


def credentials_path(data_dir: Path) -> Path:
    """``DIR/labelstudio/credentials.json``."""
    return ls_dir(data_dir) / "credentials.json"


def state_path(data_dir: Path) -> Path:
    """``DIR/labelstudio/server.json`` (present while a server started by us runs)."""
    return ls_dir(data_dir) / "server.json"


def log_path(data_dir: Path) -> Path:
    """``DIR/labelstudio/server.log``."""
    return ls_dir(data_dir) / "server.log"


@dataclass(frozen=True)
class Credentials:
    """How to reach and log into the server. Never printed unless the user asks."""

    url: str
    username: str
    password: str
    token: str

    def __repr__(self) -> str:
        # Keep secrets out of tracebacks and logs.
        return f"Credentials(url={self.url!r}, username={self.username!r}, password=***, token=***)"


@dataclass(frozen=True)
class ServerState:
    """A server started by ``label serve``."""

    pid: int
    port: int
    url: str
    log: str
    started_at: str
    detached: bool


def _write_private_json(path: Path, obj: dict[str, Any]) -> None:
    write_json_atomic(path, obj)
    # mkstemp already creates 0600 files; chmod again so a replaced file never widens access.
    path.chmod(0o600)


def load_credentials(data_dir: Path) -> Credentials:
    """Read ``credentials.json``; a one-line ServiceError when it is absent or broken."""
    path = credentials_path(data_dir)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Credentials(**{k: str(raw[k]) for k in ("url", "username", "password", "token")})
    except FileNotFoundError:
        msg = f"{path}: not found; start Label Studio first: workbench label serve --data-dir {data_dir}"
        raise ServiceError(msg) from None
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        msg = f"{path}: unreadable credentials ({type(exc).__name__}: {exc})"
        raise ServiceError(msg) from None


def ensure_credentials(data_dir: Path, port: int) -> Credentials:
    """Load the credentials, creating them on first use; keep ``url`` in step with ``port``."""
    path = credentials_path(data_dir)
    url = f"http://{HOST}:{port}"
    if path.exists():
        creds = load_credentials(data_dir)
        if creds.url != url:
            creds = Credentials(url=url, username=creds.username, password=creds.password,
                                token=creds.token)
            _write_private_json(path, asdict(creds))
        return creds
    creds = Credentials(
        url=url,
        username=DEFAULT_USERNAME,
        password=secrets.token_urlsafe(18),
        # Label Studio's legacy token format: 40 hex characters.
        token=secrets.token_hex(20),
    )
    _write_private_json(path, asdict(creds))
    return creds


def server_env(data_dir: Path, creds: Credentials, cfg: LabelingConfig) -> dict[str, str]:
    """Environment of the Label Studio process."""
    root = ls_dir(data_dir).resolve()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO_", "POSTGRE_"))}
    env.update({
        "LABEL_STUDIO_BASE_DATA_DIR": str(root / "data"),
        "LABEL_STUDIO_USERNAME": creds.username,
        "LABEL_STUDIO_PASSWORD": creds.password,
        "LABEL_STUDIO_USER_TOKEN": creds.token,
        # Legacy tokens must be enabled when the organisation is created (first start).
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "COLLECT_ANALYTICS": "false",
        "LATEST_VERSION_CHECK": "false",
        "XDG_CONFIG_HOME": str(root / "config"),
        "PYTHONUNBUFFERED": "1",
    })
    db = cfg.labelstudio.database
    if db.engine == "postgresql":
        password = os.environ.get(db.password_env)
        if password is None:
            msg = (f"labeling.labelstudio.database: engine is postgresql but ${db.password_env} "
                   "(the database password) is not set")
            raise ServiceError(msg)
        env.update({"DJANGO_DB": "postgresql", "POSTGRE_HOST": db.host, "POSTGRE_PORT": str(db.port),
                    "POSTGRE_NAME": db.name, "POSTGRE_USER": db.user, "POSTGRE_PASSWORD": password})
    else:
        env["DJANGO_DB"] = "sqlite"
    return env


def port_is_free(port: int) -> bool:
    """Whether 127.0.0.1:``port`` can be bound now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port on 127.0.0.1 free right now (for tests and the demo)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) still answers kill(0).
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            return stat.read_text().split(") ", 1)[1][:1] != "Z"
        except (OSError, IndexError):
            return True
    return True


def _is_label_studio(pid: int) -> bool:
    # Guards `stop` against a pid reused by an unrelated process after a reboot.
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.exists():
        return _pid_alive(pid)
    try:
        return b"label_studio" in cmdline.read_bytes() or b"label-studio" in cmdline.read_bytes()
    except OSError:
        return False


def read_state(data_dir: Path) -> ServerState | None:
    """The server recorded in ``server.json`` if its process still runs (stale files removed)."""
    path = state_path(data_dir)
    if not path.exists():
        return None
    try:
        state = ServerState(**json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, TypeError):
        path.unlink(missing_ok=True)
        return None
    if not (_pid_alive(state.pid) and _is_label_studio(state.pid)):
        path.unlink(missing_ok=True)
        return None
    return state


def _get(url: str, token: str | None = None, timeout: float = 5.0) -> int:
    import httpx

    headers = {"Authorization": f"Token {token}"} if token else {}
    try:
        return httpx.get(url, headers=headers, timeout=timeout).status_code
    except httpx.HTTPError:
        return 0


def _log_tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:])


def wait_ready(creds: Credentials, proc: subprocess.Popen | None, timeout: float, log: Path) -> None:
    """Wait until the server answers and accepts the stored token.

    Raises
    ------
    ServiceError
        The process exited, the wait timed out, or the token is rejected (a database created
        with other credentials).
    """
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            msg = (f"Label Studio exited with code {proc.returncode} while starting; see {log}: "
                   f"{_log_tail(log)}")
            raise ServiceError(msg)
        if _get(f"{creds.url}/api/version") == 200:
            break
        if time.monotonic() > deadline:
            msg = f"Label Studio did not answer on {creds.url} within {timeout:.0f} s; see {log}"
            raise ServiceError(msg)
        time.sleep(0.5)
    status = _get(f"{creds.url}/api/current-user/whoami", creds.token)
    if status != 200:
        msg = (f"Label Studio on {creds.url} rejects the token in credentials.json (HTTP {status}); "
               "its database was created with other credentials")
        raise ServiceError(msg)


def start(
    data_dir: Path,
    cfg: LabelingConfig,
    *,
    port: int | None = None,
    detach: bool = True,
) -> tuple[ServerState, Credentials, subprocess.Popen]:
    """Start Label Studio on 127.0.0.1 and wait until it is ready.

    Parameters
    ----------
    data_dir
        The workbench data dir; everything goes under ``DIR/labelstudio``.
    cfg
        The ``labeling`` config (port, database, timeouts).
    port
        Overrides ``cfg.port``.
    detach
        Run in its own session so it outlives this process (``label stop`` ends it).

    Returns
    -------
    tuple
        The recorded state, the credentials and the process handle.

    Raises
    ------
    ServiceError
        Already running, port busy, or the server failed to start.
    """
    running = read_state(data_dir)
    if running is not None:
        msg = f"Label Studio already runs for {data_dir} at {running.url} (pid {running.pid}); " \
              "stop it first: workbench label stop"
        raise ServiceError(msg)
    port = port or cfg.port
    # Label Studio silently moves to the next port when one is busy; we refuse instead, so the
    # URL in credentials.json is always the one that answers.
    if not port_is_free(port):
        msg = f"port {port} on {HOST} is already in use; pick another with --port"
        raise ServiceError(msg)
    root = ls_dir(data_dir)
    for folder in (root, root / "data", root / "config"):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    restrict_to_owner(root)
    creds = ensure_credentials(data_dir, port)
    env = server_env(data_dir, creds, cfg)
    log = log_path(data_dir)
    cmd = [sys.executable, "-m", "label_studio.server", "start", "--no-browser",
           "--internal-host", HOST, "--port", str(port), "--data-dir", env["LABEL_STUDIO_BASE_DATA_DIR"]]
    with open(os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab") as out:
        out.write(f"\n=== workbench label serve {datetime.now(UTC).isoformat()} port {port}\n".encode())
        out.flush()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=detach, cwd=root,
                                umask=0o077)
    state = ServerState(pid=proc.pid, port=port, url=creds.url, log=str(log),
                        started_at=datetime.now(UTC).isoformat(timespec="seconds"), detached=detach)
    write_json_atomic(state_path(data_dir), asdict(state))
    try:
        wait_ready(creds, proc, cfg.labelstudio.start_timeout_s, log)
    except BaseException:
        _terminate(proc.pid, group=detach)
        state_path(data_dir).unlink(missing_ok=True)
        raise
    # Label Studio made its DB by now (the umask keeps it private; this covers older ones).
    restrict_to_owner(root)
    return state, creds, proc


def _terminate(pid: int, *, group: bool, timeout: float = 20.0) -> None:
    sig_target = os.getpgid(pid) if group and _pid_alive(pid) else None
    try:
        if sig_target is not None:
            os.killpg(sig_target, signal.SIGTERM)
        else:
            os.kill(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            # Reap it if it is our child; otherwise just poll.
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                return
        except ChildProcessError:
            if not _pid_alive(pid):
                return
        time.sleep(0.2)
    try:
        if sig_target is not None:
            os.killpg(sig_target, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return


def stop(data_dir: Path) -> ServerState | None:
    """Stop the server recorded for ``data_dir``; returns what was stopped (None: nothing ran)."""
    state = read_state(data_dir)
    if state is None:
        return None
    _terminate(state.pid, group=state.detached)
    state_path(data_dir).unlink(missing_ok=True)
    return state
