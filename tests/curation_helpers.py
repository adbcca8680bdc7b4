"""Shared builders for the curation tests: seeded synthetic corpora written as stage files."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from workbench.core.io import sha256_bytes
from workbench.core.layout import Layout
from workbench.core.manifests import InputFile
from workbench.core.taxonomy import load_taxonomy
from workbench.curation.input_files import InputRecord
from workbench.curation.inputs import (
    CurationInputs,
    add_implicit_empty,
    normalise_annotations,
    resolve_tasks,
)
from workbench.labeling.pull import write_snapshot
from workbench.labeling.records import LABEL_QUARANTINE_SCHEMA

#: A Telegram ad and five reposts of it with the small edits near-duplicate detection must see
#: through: a price changed, a phrase dropped, emoji/handle/link added, homophone respellings.
AD = ("ቅናሽ! የሴቶች ልብስ እና ጫማ በ 1,500 ብር ብቻ። አድራሻ ቦሌ መድሃኔዓለም ፊት ለፊት። "
      "ለበለጠ መረጃ ይደውሉ 0911223344 ሐሙስ እና ዓርብ ክፍት ነን ፀሎት ቤት አጠገብ")
REPOSTS = [
    AD,
    AD.replace("1,500", "1,650"),                                # price changed
    AD.replace("ለበለጠ መረጃ ", ""),                              # a phrase dropped
    "🔥🔥 " + AD + " @addis_shop https://t.me/addis_shop",       # emoji, handle, link added
    AD.replace("ሐሙስ", "ሀሙስ").replace("ዓርብ", "አርብ").replace("ፀሎት", "ጸሎት"),  # homophones
]

def write_stage(root: Path, messages: pl.DataFrame, annotations: pl.DataFrame) -> Path:
    """Write ``cleaned/messages.parquet``, and the annotations as ``label pull`` writes them.

    The annotations go through the pull's writer (a snapshot under ``labels/snapshots/``,
    ``labels/annotations.parquet`` with its bytes, the manifests), so curation finds its label
    snapshot as it does after a real pull.
    """
    lay = Layout(root)
    lay.cleaned.mkdir(parents=True, exist_ok=True)
    messages.write_parquet(lay.cleaned_messages)
    write_snapshot(root, annotations, pl.DataFrame(schema=LABEL_QUARANTINE_SCHEMA),
                   inputs=[InputFile(path="tests", sha256=sha256_bytes(b"tests"))])
    return root


def in_memory(messages: pl.DataFrame, annotations: pl.DataFrame) -> CurationInputs:
    """Validated inputs without files (the flag logic alone)."""
    ann = normalise_annotations(annotations, source="test")
    tasks = resolve_tasks(ann, load_taxonomy())
    ann = add_implicit_empty(ann, tasks)
    records = [InputRecord("texts", "mem", "0" * 64, messages.height),
               InputRecord("annotations", "mem", "1" * 64, annotations.height)]
    return CurationInputs(messages, ann, tasks, records, [], tasks)


def precision_recall(flagged: set[str], truth: set[str]) -> tuple[float, float]:
    tp = len(flagged & truth)
    return tp / max(len(flagged), 1), tp / max(len(truth), 1)


def flagged_uids(issues: pl.DataFrame, task: str) -> set[str]:
    return set(issues.filter((pl.col("task") == task) & pl.col("is_issue"))
               .get_column("uid").to_list())


def cleaned_frame(texts: list[str], *, channels: list[int] | None = None) -> pl.DataFrame:
    """Cleaned messages (every column) for hand-written texts, via the real ingest cleaning."""
    from datetime import UTC, datetime, timedelta

    from workbench.core.schemas import PARSED_SCHEMA
    from workbench.ingest.clean import clean_messages

    channels = channels or [100] * len(texts)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [{"uid": f"{c}:{i + 1}", "channel_id": c, "channel_name": f"channel {c}",
             "message_id": i + 1, "date": start + timedelta(hours=i), "text": t}
            for i, (t, c) in enumerate(zip(texts, channels, strict=True))]
    parsed = pl.DataFrame(rows).with_columns(
        [pl.lit(None).alias(k) for k in PARSED_SCHEMA if k not in rows[0]]
    ).select([pl.col(k).cast(v) for k, v in PARSED_SCHEMA.items()])
    return clean_messages(parsed)
