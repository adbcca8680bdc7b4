"""``workbench init DIR``: a project folder holding copies of the packaged defaults to edit.

The folder gets a commented ``workbench.yaml`` and the user-editable files of
:data:`workbench.core.resources.PROJECT_FOLDERS` (taxonomy, rules, guidelines, recipes,
templates, suites, metric modules). Commands run from that folder (or given its
``workbench.yaml`` with ``--config``) use these copies instead of the packaged ones.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from workbench.core.config import DEFAULT_CONFIG_NAME
from workbench.core.errors import ConfigError
from workbench.core.resources import defaults_root, project_files

CONFIG_TEMPLATE = """\
# Amharic ad workbench project config. Every key is optional: a missing one takes its default,
# an unknown one is an error naming it.

# Root of the stage folders (ingest, labels, curated, runs, rag, eval, reports, ...); a relative
# path is taken from this file's folder.
data_dir: {data_dir}

# The user-editable files next to this file win over the packaged defaults:
#   labeling/   taxonomy.yaml (tasks and labels), rules.yaml (pre-annotations), guidelines.md
#   training/   recipes/*.yaml (`workbench train run <name>`), templates/ (chat and prompt)
#   eval/       suites/*.yaml (`workbench eval run <name>`), metrics/ (metric modules)

# ingest:
#   max_file_mib: 2048          # largest export file; parsing takes about 4x its size in memory
#   max_zip_ratio: 100          # uncompressed/compressed size beyond which a zip is refused

# cleaning:
#   tsa_series_target: ፀ        # direction of the ጸ/ፀ homophone series in text_norm

# labeling:
#   backend: labelstudio        # or argilla
#   port: 8080                  # the embedded Label Studio on 127.0.0.1
#   taxonomy: labeling/taxonomy.yaml
#   rules: labeling/rules.yaml

# curation:
#   split:
#     by: random                # or channel (whole channels per split), time

# generation:
#   prompt_template: training/templates/ad_prompt.j2
#   n: 4                        # candidates per brief and model
"""


def config_text(data_dir: str) -> str:
    """The commented ``workbench.yaml`` that ``init`` writes, with ``data_dir`` set."""
    return CONFIG_TEMPLATE.format(data_dir=data_dir)


def init_project(
    dest: Path, *, data_dir: str = "data", force: bool = False, samples: bool = False
) -> list[Path]:
    """Write a project folder: ``workbench.yaml`` plus the packaged user-editable files.

    Parameters
    ----------
    dest
        The project folder (created when missing).
    data_dir
        ``data_dir`` written into ``workbench.yaml`` (a relative path: from the project folder).
    force
        Overwrite files that exist; without it an existing file is an error and nothing is written.
    samples
        Also copy the synthetic samples into ``dest/samples/`` (exports to ingest, briefs to
        generate for), so every stage can be tried without a checkout of the source.

    Returns
    -------
    list of Path
        The files written, ``workbench.yaml`` first.

    Raises
    ------
    ConfigError
        ``dest`` is a file, or (without ``force``) one of the files to write exists.
    """
    if dest.exists() and not dest.is_dir():
        msg = f"{dest}: not a folder"
        raise ConfigError(msg)
    relatives = [Path(DEFAULT_CONFIG_NAME), *project_files(samples=samples)]
    if not force:
        existing = [str(dest / rel) for rel in relatives if (dest / rel).exists()]
        if existing:
            more = f" (+{len(existing) - 1} more)" if len(existing) > 1 else ""
            msg = f"{existing[0]} exists{more}; nothing written (use --force to overwrite)"
            raise ConfigError(msg)
    written = []
    config = dest / DEFAULT_CONFIG_NAME
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(config_text(data_dir), encoding="utf-8")
    written.append(config)
    root = defaults_root()
    for rel in relatives[1:]:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / rel, target)
        written.append(target)
    return written
