"""Small hand-written labeled ads, briefs and a tiny local Llama for the RAG/generation tests.

The curated splits are made from the ads by the pipeline itself (ingest, the pull's writer,
``curate flag``, ``curate split``: :mod:`tests.pipeline_data`).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from synthetic.splits import Post
from tests.pipeline_data import curated_copy
from workbench.core.layout import Layout

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


#: Stable channel ids, so a uid means the same ad in every data dir a test writes.
CHANNEL_IDS = {"Sheger Gebeya": 1000, "Addis Cars": 1001}

Row = tuple[str, str | None, str]


def posts(rows: list[Row], split: str, *, start_id: int = 1) -> list[Post]:
    """``rows`` as labeled posts with message ids from ``start_id`` (uid ``<channel id>:<id>``)."""
    names = [n for n in dict.fromkeys(r[0] for r in rows) if n not in CHANNEL_IDS]
    channel_ids = {**CHANNEL_IDS, **{name: 2000 + i for i, name in enumerate(names)}}
    return [Post(channel, text, "Ad" if vertical else "Non-Ad", vertical, (), split,
                 channel_ids[channel], i)
            for i, (channel, vertical, text) in enumerate(rows, start=start_id)]


def write_splits(data_dir: Path, train: list[Row] | None = None, *, val: list[Row] | None = None,
                 test: list[Row] | None = None) -> Path:
    """Curated splits of these rows, made by the pipeline (train ids from 1, then val, test)."""
    train = ADS if train is None else train
    made = posts(train, "train")
    offset = len(train) + 100
    for split, rows in (("val", val or []), ("test", test or [])):
        made += posts(rows, split, start_id=offset)
        offset += len(rows) + 100
    return curated_copy(data_dir, made)


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
    """A training run's folder as the training stage leaves it: a LoRA adapter + manifest.

    The manifest is written by the training stage's own writer over data it built from the
    splits in ``data_dir``.
    """
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from workbench.training.recipe import load_recipe
    from workbench.training.run import write_run_manifest
    from workbench.training.sft_data import ensure_data, install_prompt_spec

    run_dir = Layout(data_dir).run(run_id)
    model = AutoModelForCausalLM.from_pretrained(base)
    lora = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                      task_type="CAUSAL_LM")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # peft reads a renamed property
        peft_model = get_peft_model(model, lora)
    peft_model.save_pretrained(run_dir / "adapter")
    AutoTokenizer.from_pretrained(base).save_pretrained(run_dir / "adapter")
    recipe = load_recipe("tiny-cpu")
    data_out, _ = ensure_data(data_dir, recipe, progress=False)
    write_run_manifest(run_dir, recipe, data_out, str(base), "loss mask: not checked (random adapter)",
                       status="finished", data_dir=data_dir, final=run_dir / "adapter")
    install_prompt_spec(data_out, run_dir)
    return run_dir


def save_run_prompt_spec(run_dir: Path, *overrides: str) -> None:
    """The prompt spec a run of the tiny-cpu recipe (with ``overrides``) saves, via its code."""
    from workbench.core.prompts import save_prompt_spec
    from workbench.training.recipe import load_recipe
    from workbench.training.sft_data import prompt_spec_of

    save_prompt_spec(prompt_spec_of(load_recipe("tiny-cpu", list(overrides))), run_dir)
