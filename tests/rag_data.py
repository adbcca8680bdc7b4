"""Small hand-written curated splits, briefs and a tiny local Llama for the RAG/generation tests.

The curated files are written in the curation stage's contract (every cleaned column plus
``is_ad``, ``vertical``, ``tags``, ``split``, ``cluster_id``, ``label_source``); the cleaned
columns come from the real cleaning code so ``text_norm`` is what the pipeline would produce.
"""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from workbench.core.schemas import PARSED_SCHEMA
from workbench.ingest.clean import clean_messages

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)

#: (channel, vertical or None for a non-ad, text). Known facts the tests rely on:
#: - the only ad about rent writes "ለኪራይ" (prefix attached), never the bare "ኪራይ";
#: - the only sun-cream ad writes "ጸሐይ" (ጸ and ሐ series); a query may write "ፀሀይ";
#: - "Sheger Gebeya" has Retail and Telecom ads, "Addis Cars" has Automotive ones.
ADS: list[tuple[str, str | None, str]] = [
    ("Sheger Gebeya", "Retail", "ቤት ለኪራይ በቦሌ አካባቢ ባለ 3 መኝታ ዋጋ 25,000 ብር ይደውሉ 0911223344"),
    ("Sheger Gebeya", "Retail", "ለጸሐይ መከላከያ ክሬም በቅናሽ ዋጋ 450 ብር አሁኑኑ ይዘዙ @sunshop_et"),
    ("Sheger Gebeya", "Retail", "የሴቶች ቀሚስ እና ጫማ አዲስ እቃዎች ገብተዋል ዋጋ 1,200 ብር ይደውሉ 0922334455"),
    ("Sheger Gebeya", "Retail", "የወንዶች ሸሚዝ በተመጣጣኝ ዋጋ 800 ብር 👔 ለበለጠ መረጃ @shirts_addis"),
    ("Sheger Gebeya", "Retail", "የልጆች ልብስ ቅናሽ ሳምንቱን ሙሉ ጫማዎችም አሉ ይደውሉ 0933445566"),
    ("Sheger Gebeya", "Telecom", "ኢትዮ ቴሌኮም አዲስ የኢንተርኔት ጥቅል 30 ጊጋ በ 300 ብር *999# ይደውሉ"),
    ("Sheger Gebeya", "Telecom", "ሳፋሪኮም ኤም-ፔሳ ገንዘብ ይላኩ ይቀበሉ ያለ ክፍያ ዛሬ ይመዝገቡ"),
    ("Sheger Gebeya", None, "ዛሬ አዲስ አበባ ውስጥ ዝናብ ይጠበቃል ብሏል የሚቲዎሮሎጂ ኢንስቲትዩት"),
    ("Addis Cars", "Automotive", "ቶዮታ ቪትዝ 2012 ሞዴል ለሽያጭ ዋጋ 1,800,000 ብር ይደውሉ 0944556677"),
    ("Addis Cars", "Automotive", "ሀዩንዳይ መኪና ኪራይ ለሰርግ እና ለጉዞ በቀን 3,000 ብር @hyundai_rent"),
    ("Addis Cars", "Automotive", "የመኪና ጎማ እና ባትሪ በጅምላ ዋጋ ቃሊቲ አካባቢ 0955667788"),
    ("Addis Cars", "Automotive", "ሱዙኪ ዲዛየር አዲስ መኪና በባንክ ብድር ይግዙ ቅድመ ክፍያ 30% ብቻ"),
    ("Addis Cars", None, "በመንገድ ላይ የትራፊክ አደጋ ተከስቶ ነበር ጥንቃቄ ያድርጉ"),
    ("Addis Cars", "Automotive", "የመኪና እጥበት አገልግሎት በቦሌ ዋጋ 200 ብር ብቻ ይምጡ"),
]


#: Stable channel ids, so a uid means the same ad in every file a test writes.
CHANNEL_IDS = {"Sheger Gebeya": 1000, "Addis Cars": 1001}


def parsed_frame(rows: list[tuple[str, str | None, str]], *, start_id: int = 1) -> pl.DataFrame:
    """Parsed-stage rows (one per ad) for the cleaning code."""
    names = [n for n in dict.fromkeys(r[0] for r in rows) if n not in CHANNEL_IDS]
    channel_ids = {**CHANNEL_IDS, **{name: 2000 + i for i, name in enumerate(names)}}
    records = []
    for i, (channel, _, text) in enumerate(rows, start=start_id):
        cid = channel_ids[channel]
        records.append({
            "uid": f"{cid}:{i}", "channel_id": cid, "channel_name": channel,
            "channel_type": "public_channel", "message_id": i, "date": T0 + timedelta(hours=i),
            "edited": None, "sender": channel, "sender_id": f"channel{cid}", "author": None,
            "forwarded_from": None, "reply_to": None, "media_type": None, "text": text,
            "entities": [], "source": "test", "source_sha256": "0" * 64,
        })
    return pl.DataFrame(records, schema=PARSED_SCHEMA)


def curated_frame(rows: list[tuple[str, str | None, str]], split: str,
                  *, start_id: int = 1) -> pl.DataFrame:
    """Curated-split rows: cleaned columns plus labels."""
    cleaned = clean_messages(parsed_frame(rows, start_id=start_id))
    return cleaned.with_columns(
        is_ad=pl.Series(["Ad" if v else "Non-Ad" for _, v, _ in rows]),
        vertical=pl.Series([v for _, v, _ in rows], dtype=pl.Utf8),
        tags=pl.Series([[] for _ in rows], dtype=pl.List(pl.Utf8)),
        split=pl.lit(split),
        cluster_id=pl.Series(range(start_id, start_id + len(rows)), dtype=pl.Int64),
        label_source=pl.lit("human"),
    )


def write_splits(data_dir: Path, train: list[tuple[str, str | None, str]] | None = None,
                 *, val: list[tuple[str, str | None, str]] | None = None,
                 test: list[tuple[str, str | None, str]] | None = None) -> Path:
    """Write ``DIR/curated/splits/{train,val,test}.parquet`` and a manifest; return the folder."""
    folder = data_dir / "curated" / "splits"
    folder.mkdir(parents=True, exist_ok=True)
    train = ADS if train is None else train
    offset = 1
    for split, rows in (("train", train), ("val", val or []), ("test", test or [])):
        frame = curated_frame(rows, split, start_id=offset) if rows else curated_frame(
            ADS[:1], split, start_id=9000).head(0)
        frame.write_parquet(folder / f"{split}.parquet")
        offset += len(rows) + 100
    (folder / "manifest.json").write_text(json.dumps({"stage": "splits",
                                                       "label_snapshot_id": "snap-test"}))
    return folder


BRIEF = {
    "brand": "Abebe Shoes",
    "product": "የቆዳ ጫማ",
    "campaign_goal": "ሽያጭ ለመጨመር",
    "offer": "20% ቅናሽ ዋጋ 1,500 ብር",
    "vertical": "Retail",
    "target_channel": "Sheger Gebeya",
    "call_to_action": "ዛሬውኑ ይደውሉ",
    "contact": {"phone": "0911 22 33 44", "handle": "@abebeshoes"},
    "language": "am",
    "notes": "ጥራት ያለው የቆዳ ጫማ",
}


def write_brief(folder: Path, name: str = "shoes", **override: Any) -> Path:
    """A brief YAML file (``BRIEF`` with ``override``)."""
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({**BRIEF, **override}, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


def build_tiny_llama(out: Path, texts: list[str]) -> Path:
    """A random 2-layer Llama and a Metaspace BPE tokenizer with the Ethiopic alphabet (~1 s)."""
    from workbench.training.recipe import TinyModelConfig
    from workbench.training.tiny_model import build_tiny_base

    chat_template = (
        "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}<|user|>\n"
        "{{ m['content'] }}\n{% elif m['role'] == 'system' %}<|system|>\n{{ m['content'] }}\n"
        "{% endif %}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
    )
    spec = TinyModelConfig(vocab_size=700, max_position_embeddings=512)
    return build_tiny_base(out, texts, spec, chat_template=chat_template, seed=0)


def build_run(data_dir: Path, run_id: str, base: Path) -> Path:
    """A training run's folder as the training stage leaves it: a LoRA adapter + manifest."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    run_dir = data_dir / "runs" / run_id
    model = AutoModelForCausalLM.from_pretrained(base)
    lora = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                      task_type="CAUSAL_LM")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # peft reads a renamed property
        peft_model = get_peft_model(model, lora)
    peft_model.save_pretrained(run_dir / "adapter")
    AutoTokenizer.from_pretrained(base).save_pretrained(run_dir / "adapter")
    (run_dir / "manifest.json").write_text(json.dumps({
        "stage": "training-run", "run_id": run_id, "status": "finished",
        "base_model": "tiny", "base_model_path": str(base),
    }))
    save_run_prompt_spec(run_dir)
    return run_dir


def save_run_prompt_spec(run_dir: Path, *overrides: str) -> None:
    """The prompt spec a run of the tiny-cpu recipe (with ``overrides``) saves, via its code."""
    from workbench.core.prompts import save_prompt_spec
    from workbench.training.recipe import load_recipe
    from workbench.training.sft_data import prompt_spec_of

    save_prompt_spec(prompt_spec_of(load_recipe("tiny-cpu", list(overrides))), run_dir)
