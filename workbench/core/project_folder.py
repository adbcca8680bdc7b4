"""``workbench init DIR``: a project folder holding copies of the packaged defaults to edit.

The folder gets a commented ``workbench.yaml`` and the user-editable files of
:data:`workbench.core.resources.PROJECT_FOLDERS` (taxonomy, rules, guidelines, recipes,
templates, suites, metric modules). Commands run from that folder (or given its
``workbench.yaml`` with ``--config``) use these copies instead of the packaged ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.core.config import DEFAULT_CONFIG_NAME
from workbench.core.errors import ConfigError
from workbench.core.io import atomic_path
from workbench.core.resources import defaults_root, project_files

CONFIG_TEMPLATE = """\
# Amharic ad workbench project config. Every key is optional: a missing one takes its default,
# an unknown one is an error naming it.

# Root of the stage folders (ingest, labels, curated, runs, rag, eval, reports, ...); a relative
# path is taken from this file's folder.
data_dir: {data_dir}

# The user-editable files next to this file win over the packaged defaults:
#   labeling/   taxonomy.yaml (tasks and labels), rules.yaml (pre-annotations) and the labeled
#               posts its learned part is fitted on (gate_posts.tsv), guidelines.md
#   training/   recipes/*.yaml (`workbench train run <name>`), templates/ (chat and prompt)
#   eval/       suites/*.yaml (`workbench eval run <name>`), metrics/ (metric modules)

# ingest:
#   max_file_mib: 2048          # largest export file; parsing takes about 4x its size in memory
#   max_zip_ratio: 100          # uncompressed/compressed size beyond which a zip is refused
#   export_timezone: Africa/Addis_Ababa  # where exports were made (older ones: local dates only)

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


def _write(target: Path, data: bytes) -> None:
    """Write one project file atomically, readable like any source file (not mkstemp's 0600)."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
        tmp.chmod(0o644)


@dataclass(frozen=True)
class InitResult:
    """What ``init`` did: the files written, and those left as they were."""

    #: Files written, ``workbench.yaml`` first when it was.
    written: list[Path]
    #: Files that existed and were kept (without ``force``): the user's edits.
    kept: list[Path]


def init_project(
    dest: Path, *, data_dir: str = "data", force: bool = False, samples: bool = False
) -> InitResult:
    """Write a project folder: ``workbench.yaml`` plus the packaged user-editable files.

    A file that exists is kept as it is (it may hold the user's edits), so running ``init`` again
    adds only what is missing: the samples (``samples``), or defaults a newer package ships.

    Parameters
    ----------
    dest
        The project folder (created when missing).
    data_dir
        ``data_dir`` written into ``workbench.yaml`` (a relative path: from the project folder).
    force
        Overwrite files that exist.
    samples
        Also copy the synthetic samples into ``dest/samples/`` (exports to ingest, briefs to
        generate for), so every stage can be tried without a checkout of the source.

    Returns
    -------
    InitResult
        The files written and the files kept.

    Raises
    ------
    ConfigError
        ``dest`` is a file, or (without ``force``) every file to write exists: nothing to do.
    """
    if dest.exists() and not dest.is_dir():
        msg = f"{dest}: not a folder"
        raise ConfigError(msg)
    relatives = [Path(DEFAULT_CONFIG_NAME), *project_files(samples=samples)]
    kept = [] if force else [dest / rel for rel in relatives if (dest / rel).exists()]
    if len(kept) == len(relatives):
        more = f" (+{len(kept) - 1} more)" if len(kept) > 1 else ""
        msg = (f"{kept[0]} exists{more}: every file init writes is there; nothing written "
               "(use --force to overwrite)")
        raise ConfigError(msg)
    written = []
    root = defaults_root()
    for rel in relatives:
        target = dest / rel
        if target in kept:
            continue
        if rel == Path(DEFAULT_CONFIG_NAME):
            _write(target, config_text(data_dir).encode("utf-8"))
        else:
            _write(target, (root / rel).read_bytes())
        written.append(target)
    return InitResult(written=written, kept=kept)
