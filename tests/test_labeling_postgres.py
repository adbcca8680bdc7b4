"""Label Studio on PostgreSQL (labeling.labelstudio.database.engine: postgresql).

Opt-in (WORKBENCH_TEST_POSTGRES=1): it creates a throw-away Debian PostgreSQL cluster and migrates a
fresh Label Studio schema into it, about a minute more than the SQLite session server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import run_workbench
from tests.labeling_data import EXPECTED_PROJECTS, make_data_dir
from workbench.labeling.labelstudio.server import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")

pytestmark = [
    pytest.mark.labelstudio,
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("WORKBENCH_TEST_POSTGRES") != "1",
                       reason="set WORKBENCH_TEST_POSTGRES=1 to run Label Studio on PostgreSQL"),
]


def _as_db_user(cmd: list[str]) -> list[str]:
    # initdb/postgres refuse to run as root: use the Debian 'postgres' account then.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@pytest.fixture
def postgres() -> Iterator[int]:
    initdb = PG_BIN / "initdb" if (PG_BIN / "initdb").exists() else shutil.which("initdb")
    if initdb is None:
        pytest.skip("PostgreSQL (initdb) is not installed")
    bin_dir = Path(initdb).parent
    # Not under pytest's tmp dir: that one is private to the current user, and the cluster must
    # belong to 'postgres' when the tests run as root.
    root = Path(tempfile.mkdtemp(prefix="wb-test-pg-"))
    cluster, sock = root / "cluster", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    subprocess.run(_as_db_user([str(initdb), "-D", str(cluster), "-U", "postgres", "--auth=trust"]),
                   check=True, capture_output=True)
    port = free_port()
    subprocess.run(_as_db_user([str(bin_dir / "pg_ctl"), "-D", str(cluster), "-w", "-l", str(root / "log"),
                                "-o", f"-p {port} -k {sock} -c listen_addresses=127.0.0.1", "start"]),
                   check=True, capture_output=True)
    try:
        psql = [str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c"]
        subprocess.run([*psql, "CREATE USER labelstudio PASSWORD 'pg-secret'"], check=True, capture_output=True)
        subprocess.run([*psql, "CREATE DATABASE labelstudio OWNER labelstudio"], check=True, capture_output=True)
        yield port
    finally:
        subprocess.run(_as_db_user([str(bin_dir / "pg_ctl"), "-D", str(cluster), "-m", "fast", "stop"]),
                       check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_label_studio_on_postgresql(postgres: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = make_data_dir(tmp_path / "data", tmp_path / "exports")
    config = tmp_path / "workbench.yaml"
    config.write_text(
        "labeling:\n  labelstudio:\n    database: {engine: postgresql, host: 127.0.0.1, port: "
        f"{postgres}, name: labelstudio, user: labelstudio, password_env: WB_TEST_PG_PASSWORD}}\n",
        encoding="utf-8")
    monkeypatch.setenv("WB_TEST_PG_PASSWORD", "pg-secret")
    args = ["--data-dir", str(data), "--config", str(config)]
    served = run_workbench("label", "serve", "--detach", "--port", str(free_port()), *args)
    assert served.returncode == 0, served.stderr
    try:
        assert not (data / "labelstudio" / "data" / "label_studio.sqlite3").exists()
        pushed = run_workbench("label", "push", *args)
        assert pushed.returncode == 0, pushed.stderr
        for key, uids in EXPECTED_PROJECTS.items():
            assert f"{key}: {len(uids)} added" in pushed.stdout
        pulled = run_workbench("label", "pull", *args)
        assert pulled.returncode == 0, pulled.stderr
        assert pl.read_parquet(data / "labels" / "annotations.parquet").height == 0
    finally:
        run_workbench("label", "stop", *args)
