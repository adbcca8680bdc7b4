"""Start and stop the live pre-annotation refresher (``label serve --live``) as its own process.

The refresher fits a curation classifier, and labeling sits below curation, so labeling starts
it by module name (``python -m workbench.curation.live``) instead of importing it. It records
its pid in ``DIR/labelstudio/live.pid`` and logs to ``DIR/labelstudio/live.log``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from workbench.labeling.labelstudio.server import ls_dir

#: The refresher's module; also how ``stop`` recognises its process (pids get reused).
LIVE_MODULE = "workbench.curation.live"


def live_pid_path(data_dir: Path) -> Path:
    """``DIR/labelstudio/live.pid`` (present while the refresher runs)."""
    return ls_dir(data_dir) / "live.pid"


def live_log_path(data_dir: Path) -> Path:
    """``DIR/labelstudio/live.log``: one line per refresh."""
    return ls_dir(data_dir) / "live.log"


def _is_refresher(pid: int) -> bool:
    # By command line: a pid may be reused after a reboot, and an exited child (a zombie) has none.
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return LIVE_MODULE in cmdline


def live_pid(data_dir: Path) -> int | None:
    """The running refresher's pid (None: none runs; a stale pid file is removed)."""
    path = live_pid_path(data_dir)
    try:
        pid = int(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    if not _is_refresher(pid):
        path.unlink(missing_ok=True)
        return None
    return pid


def start_live(data_dir: Path, config: Path | None, *, timeout: float = 60.0) -> int:
    """Start the refresher detached; its pid once it has written its pid file."""
    running = live_pid(data_dir)
    if running is not None:
        return running
    cmd = [sys.executable, "-m", LIVE_MODULE, "--data-dir", str(data_dir)]
    if config is not None:
        cmd += ["--config", str(config)]
    # Owner-only, as everything under DIR/labelstudio (see workbench.labeling.labelstudio.server).
    log_fd = os.open(live_log_path(data_dir), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with open(log_fd, "a", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, umask=0o077)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = live_pid(data_dir)
        if pid is not None:
            return pid
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    tail = live_log_path(data_dir).read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
    from workbench.core.errors import ServiceError

    msg = f"the live refresher did not start: {tail[0] if tail else 'no output'}"
    raise ServiceError(msg)


def stop_live(data_dir: Path, *, timeout: float = 30.0) -> int | None:
    """Stop the refresher; its pid (None: none ran). A refresh in progress finishes first."""
    pid = live_pid(data_dir)
    if pid is None:
        return None
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return pid
    deadline = time.monotonic() + timeout
    # Wait for the process, not its pid file: it removes the file before the interpreter exits.
    while time.monotonic() < deadline and _is_refresher(pid):
        with contextlib.suppress(ChildProcessError):  # reap it when it is our child
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    if _is_refresher(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    live_pid_path(data_dir).unlink(missing_ok=True)
    return pid
