"""``workbench users add`` from a script: no terminal, an existing account, a piped password."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import run_workbench

PASSWORD = "a long enough passphrase 7"


def add(data_dir: Path, email: str, password: str | None) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "workbench", "users", "add", email, "--company", "Abebe Shoes",
            "--role", "marketer", "--data-dir", str(data_dir)]
    if password is None:
        return run_workbench(*args[3:])
    return subprocess.run([*args, "--password-stdin"], input=password + "\n", capture_output=True,
                          text=True, timeout=120, check=False)


def test_users_add_without_a_terminal_or_twice_is_one_line_exit_2(tmp_path: Path) -> None:
    no_tty = add(tmp_path, "hanna@abebe.et", None)
    assert no_tty.returncode == 2, no_tty.stderr
    assert "--password-stdin" in no_tty.stderr
    assert "Traceback" not in no_tty.stderr
    assert "Aborted" not in no_tty.stderr

    first = add(tmp_path, "hanna@abebe.et", PASSWORD)
    assert first.returncode == 0, first.stderr
    # An existing account is refused before any password is asked for, with or without a terminal.
    again = add(tmp_path, "hanna@abebe.et", None)
    assert again.returncode == 2
    assert "already has an account" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1


def test_users_ls_has_a_header(tmp_path: Path) -> None:
    assert add(tmp_path, "hanna@abebe.et", PASSWORD).returncode == 0
    listed = run_workbench("users", "ls", "--data-dir", str(tmp_path))
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()[:2]
    assert header.split() == ["email", "role", "company", "live", "sessions"]
    assert row.split()[:2] == ["hanna@abebe.et", "marketer"]
    assert row.split()[-1] == "0"
