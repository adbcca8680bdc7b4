"""The labeling UI in headless Chromium: an Amharic task with its pre-annotation, Ethiopic glyphs drawn."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LabelingEnv
from tests.labeling_data import TIKVAH_ID, make_data_dir
from workbench.labeling.backends import labeling_taxonomy
from workbench.labeling.labelstudio.backend import LabelStudioBackend
from workbench.labeling.labelstudio.server import load_credentials
from workbench.labeling.push import run_push
from workbench.labeling.screenshot import ETHIOPIC_FAMILIES, chromium_path, screenshot_task
from workbench.labeling.taxonomy_render import GUIDELINES_POINTER

pytestmark = [
    pytest.mark.labelstudio,
    pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed (CI installs it)"),
]


def test_amharic_task_renders_with_pre_annotation(labeling_env: LabelingEnv, tmp_path: Path) -> None:
    env = labeling_env
    make_data_dir(env.data_dir, tmp_path / "exports")
    run_push(env.data_dir, env.cfg, group=1)
    taxonomy, _ = labeling_taxonomy(env.cfg)
    backend = LabelStudioBackend(env.data_dir, env.cfg.labeling, taxonomy)
    project = backend.managed_projects()["group-1"]
    # TIKVAH message 5 is a sofa ad with a phone and a price: the rules pre-fill Ad + Retail.
    task = next(t for t in backend.api.iter_tasks(project["id"], include="id,data")
                if t["data"]["uid"] == f"{TIKVAH_ID}:5")
    backend.close()

    check = screenshot_task(load_credentials(env.data_dir), project["id"], task["id"],
                            tmp_path / "labeling.png", labels=["Ad", "Non-Ad"])

    assert check.path.stat().st_size > 10_000
    assert "ሶፋዎች" in check.message_text
    assert check.ethiopic_glyphs > 20, check.fonts
    assert set(check.fonts) & set(ETHIOPIC_FAMILIES)
    assert check.ink_stddev > 10  # not a blank area
    assert {"Ad", "Retail"} <= set(check.checked_choices), check.checked_choices
    # Every task points the annotator to the guidelines (the project's instructions).
    assert GUIDELINES_POINTER in check.page_text
