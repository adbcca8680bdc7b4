"""``workbench users add`` from a script: no terminal, an existing account, a piped password."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_workbench
from workbench.webapp.passwords import verify_password
from workbench.webapp.store import Store, db_path

PASSWORD = "a long enough passphrase 7"


def add(data_dir: Path, email: str, password: str | None) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "workbench", "users", "add", email, "--company", "Abebe Shoes",
            "--role", "marketer", "--data-dir", str(data_dir)]
    if password is None:
        return run_workbench(*args[3:])
    return subprocess.run([*args, "--password-stdin"], input=password + "\n", capture_output=True,
                          text=True, timeout=120, check=False)


def stored_hash(data_dir: Path, email: str) -> str:
    row = Store(db_path(data_dir)).one("SELECT password_hash FROM users WHERE email = ?", email)
    assert row is not None
    return str(row["password_hash"])


def test_users_add_without_a_terminal_generates_a_password_as_label_users_add_does(
        tmp_path: Path) -> None:
    no_tty = add(tmp_path, "selam@abebe.et", None)
    assert no_tty.returncode == 0, no_tty.stderr
    shown = re.search(r"password: (\S+)", no_tty.stdout)
    assert shown, no_tty.stdout
    assert "stored nowhere" in no_tty.stdout
    assert verify_password(stored_hash(tmp_path, "selam@abebe.et"), shown.group(1))

    both = run_workbench("users", "add", "kebede@abebe.et", "--company", "Abebe Shoes",
                         "--password-stdin", "--generate-password", "--data-dir", str(tmp_path))
    assert both.returncode == 2
    assert both.stderr.strip() == "error: choose one of --password-stdin and --generate-password"


def test_users_add_twice_is_one_line_exit_2(tmp_path: Path) -> None:
    first = add(tmp_path, "hanna@abebe.et", PASSWORD)
    assert first.returncode == 0, first.stderr
    assert "password:" not in first.stdout
    assert verify_password(stored_hash(tmp_path, "hanna@abebe.et"), PASSWORD)
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


def test_users_passwd_without_a_terminal_needs_a_flag_and_keeps_the_password(tmp_path: Path) -> None:
    assert add(tmp_path, "hanna@abebe.et", PASSWORD).returncode == 0
    before = stored_hash(tmp_path, "hanna@abebe.et")
    no_tty = run_workbench("users", "passwd", "hanna@abebe.et", "--data-dir", str(tmp_path))
    assert no_tty.returncode == 2
    assert "--password-stdin" in no_tty.stderr
    assert "--generate-password" in no_tty.stderr
    assert len(no_tty.stderr.strip().splitlines()) == 1
    assert stored_hash(tmp_path, "hanna@abebe.et") == before
    made = run_workbench("users", "passwd", "hanna@abebe.et", "--generate-password",
                         "--data-dir", str(tmp_path))
    assert made.returncode == 0, made.stderr
    shown = re.search(r"password: (\S+)", made.stdout)
    assert shown, made.stdout
    assert verify_password(stored_hash(tmp_path, "hanna@abebe.et"), shown.group(1))
