"""What `workbench demo` prints for its ingest step: where things went, in words a user reads."""

from __future__ import annotations

import re
from pathlib import Path

from workbench.core.config import ProjectConfig
from workbench.demo import run_demo_step


def test_ingest_step_counts_the_raw_copies_instead_of_listing_their_hashes(tmp_path: Path) -> None:
    lines = run_demo_step(tmp_path / "data", ProjectConfig())
    text = "\n".join(lines)
    assert lines[0].startswith("ingested 4 file(s)")
    assert f"{tmp_path / 'data' / 'raw'}/: 4 export(s) as given, each named by its SHA-256" in lines
    assert re.search(r"[0-9a-f]{64}", text) is None, text
    assert any(line.startswith(f"{tmp_path / 'data' / 'parsed'}/: ") and "messages.parquet" in line
               for line in lines)
