"""One data dir with everything the web app shows, built by the real stages (about 20 s).

- curated splits and a RAG index over them (the studio retrieves from it);
- a tiny local model and a finished training run on it (``run:<id>`` in the model dropdown);
- a finished evaluation of two baselines and that run (the leaderboard, linking to the run);
- curation output with label issues found by cleanlab on labels with injected flips (the
  dashboard's flagged items).
- three accounts: two marketers of different companies and an analyst.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from workbench.core.config import ProjectConfig

PASSWORD = "correct horse battery staple"
MARKETER_A = "hanna@abebe.et"
MARKETER_B = "dawit@beta.et"
ANALYST = "selam@team.et"
RUN_ID = "tiny-20260101-000000-abcd"

SUITE = f"""
name: web-test
systems: [retrieval, template, run:{RUN_ID}]
items: {{n: 4}}
tasks:
  - {{name: brief_to_ad, metrics: [chrf, brief_coverage]}}
seed: 3
bootstrap: {{n_resamples: 100}}
"""


#: The project config the app runs with: short candidates keep the tiny model quick.
CONFIG = "generation:\n  decoding: {max_new_tokens: 40}\n"


@dataclass
class WebWorld:
    """Paths and facts of the built data dir."""

    root: Path
    cfg: ProjectConfig
    config_path: Path
    channel: str
    eval_id: str


def build_world(root: Path) -> WebWorld:
    """Build every stage output the web app reads under ``root``."""
    from synthetic.corpus import annotations_from_labels, flip_labels, make_corpus
    from tests.curation_helpers import write_stage
    from tests.eval_data import make_fake_run, make_splits, make_tiny_base
    from workbench.core.config import load_config
    from workbench.curation.flag import run_flag
    from workbench.evaluation.run import run_suite
    from workbench.evaluation.suite import load_suite
    from workbench.rag.index import build_index
    from workbench.webapp.accounts import add_user
    from workbench.webapp.store import Store, db_path

    config_path = root / "workbench.yaml"
    config_path.write_text(CONFIG, encoding="utf-8")
    cfg = load_config(config_path)
    make_splits(root)
    build_index(root, cfg)
    base = make_tiny_base(root / "tiny-base", root)
    make_fake_run(root, base, RUN_ID)
    suite_path = root / "suite.yaml"
    suite_path.write_text(SUITE, encoding="utf-8")
    suite, path = load_suite(suite_path)
    result = run_suite(suite, path, root, cfg)
    # Curation on a separate labeled corpus (labels with 8% flips), written into this data dir.
    corpus = make_corpus(300, seed=5, repost_share=0.1, difficulty=0.3)
    labels, _ = flip_labels(corpus.truth, rate=0.08, seed=5)
    side = write_stage(root / "labeled", corpus.messages,
                       annotations_from_labels(labels, annotator="a@team.et"))
    run_flag(root, cfg, texts=side / "cleaned" / "messages.parquet",
             annotations=side / "labels" / "annotations.parquet", out=root / "curated", folds=3)
    store = Store(db_path(root))
    add_user(store, MARKETER_A, company="Abebe Shoes", role="marketer", password=PASSWORD)
    add_user(store, MARKETER_B, company="Beta Telecom", role="marketer", password=PASSWORD)
    add_user(store, ANALYST, company="Workbench team", role="analyst", password=PASSWORD)
    from workbench.webapp.studio import index_channels

    return WebWorld(root=root, cfg=cfg, config_path=config_path, channel=index_channels(root, cfg)[0],
                    eval_id=result.out_dir.name)


def csrf_of(html: str) -> str:
    """The CSRF token a page carries (meta tag, else the sign-in form's hidden field)."""
    found = (re.search(r'name="csrf-token" content="([^"]+)"', html)
             or re.search(r'name="csrf_token" value="([^"]+)"', html))
    assert found, "no CSRF token in the page"
    return found.group(1)


def start_serve(root: Path, config: Path, log: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """Start a real ``workbench serve`` on a free loopback port; its URL once /login answers.

    The server's output goes to ``log``; a server that exits or does not answer within a minute
    fails the test with the end of that log.
    """
    from workbench.labeling.labelstudio.server import free_port

    port = free_port()
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "workbench", "serve", "--port", str(port), "--data-dir",
             str(root), "--config", str(config)],
            stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                return url, proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"workbench serve did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)
