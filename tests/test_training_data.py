"""SFT data building (brief, context, completion, CPT, manifest) and the loss-mask check."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from tests.pipeline_data import synthetic_copy
from workbench.core.brief_derivation import derive_brief, salient_words
from workbench.core.briefs import Brief, cta_of
from workbench.core.errors import ConfigError, DataContractError
from workbench.core.io import sha256_file
from workbench.core.prompts import PROMPT_SPEC_FILE, load_prompt_spec, messages_sha256
from workbench.training.loss_mask import LossMaskError, check_loss_mask, prompt_length
from workbench.training.recipe import load_recipe
from workbench.training.sft_data import build_data, ensure_data, prompt_spec_of

AD = ("🔥 ኦሪጅናል Samsung ስልክ በቅናሽ ዋጋ!\nዋጋ፦ 15,000 ብር ብቻ\n"
      "ለበለጠ መረጃ 0911 223344 ላይ ይደውሉ 📞 ወይም @addis_phones ቻናላችንን ይቀላቀሉ")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    synthetic_copy(tmp_path, n_ads=40, n_non_ads=10, n_channels=3, seed=7)
    return tmp_path


def read(path: Path) -> pl.DataFrame:
    return pl.read_parquet(path)


def test_brief_from_one_ad() -> None:
    row = {"text": AD, "text_clean": AD.replace("🔥", "").replace("📞", ""),
           "channel_name": "Addis Phones", "vertical": "Computing products & consumer electronics",
           "phones": ["+251911223344"], "mentions": ["addis_phones"], "links": [],
           "prices": [15000.0]}
    brief = derive_brief(row, idf={}, n_words=3)
    assert isinstance(brief, Brief)  # the same type as a campaign team's brief
    assert brief.target_channel == "Addis Phones"
    assert brief.vertical.startswith("Computing")
    # As the ad writes them: the phone with its spacing, the handle with its "@" (ingest drops it).
    assert brief.contact.items() == ["0911 223344", "@addis_phones"]
    assert brief.contact.phone_e164 == "+251911223344"
    assert brief.prices() == ["15,000 ብር"]
    assert brief.call_to_action == "ይደውሉ, ይቀላቀሉ"
    assert brief.cta_keys() == ["call", "join"]
    assert brief.brand == "Samsung"  # the Latin brand-like word ranks first
    assert "ስልክ" in brief.product.split()
    assert not any(c.isdigit() for c in brief.product)


def test_brief_of_an_ad_without_brand_or_contact() -> None:
    row = {"text": "ጥራት ያለው ጫማ በቅናሽ", "channel_name": "Shoes", "vertical": None}
    brief = derive_brief(row, idf={}, n_words=2)
    assert (brief.brand, brief.vertical, brief.contact.items()) == ("", "", [])
    assert brief.product == "ጥራት ጫማ"  # "ያለው" is a stopword
    # A brief file may not leave them out.
    with pytest.raises(ValueError, match="give at least one of phone"):
        Brief.model_validate(brief.model_dump())


def test_cta_and_salient_words() -> None:
    assert cta_of("አሁኑኑ ይዘዙ!") == ["order"]
    assert cta_of("Admin is here") == []  # "dm" inside a word is no call to action
    assert cta_of("DM us or call") == ["call", "message"]
    idf = {"ስልክ": 1.0, "ላፕቶፕ": 3.0}
    assert salient_words("ስልክ ላፕቶፕ ብር ዋጋ", idf, k=2) == ["ላፕቶፕ", "ስልክ"]
    assert salient_words("ስልክ", idf, k=0) == []


def test_build_data_examples(data_dir: Path) -> None:
    recipe = load_recipe("tiny-cpu")
    summary = build_data(data_dir, recipe, progress=False)
    splits = {s: read(data_dir / "curated" / "splits" / f"{s}.parquet") for s in ("train", "val", "test")}
    for split, frame in splits.items():
        n_ads = frame.filter(pl.col("is_ad") == "Ad").height
        assert summary.sft_rows[split] == n_ads
    assert summary.dropped["non_ad"] == sum(f.filter(pl.col("is_ad") == "Non-Ad").height
                                           for f in splits.values())

    train = read(summary.out_dir / "sft" / "train.parquet")
    by_uid = {r["uid"]: r for r in splits["train"].iter_rows(named=True)}
    for row in train.iter_rows(named=True):
        roles = [m["role"] for m in row["messages"]]
        assert roles == ["system", "user", "assistant"]
        original = by_uid[row["uid"]]
        # The completion is the original ad, emojis and phone numbers included.
        assert row["messages"][-1]["content"] == original["text"] == row["completion"]
        assert f'"{original["channel_name"]}"' in row["prompt"]
        assert original["vertical"] in row["prompt"]
        brief = Brief.model_validate_json(row["brief"], context={"from_ad": True})
        assert brief.target_channel == original["channel_name"]
        system, user = row["messages"][:2]
        assert row["prompt_sha256"] == messages_sha256([system, user])

    # Context: earlier ads of the same channel, from the train split only, at most context_ads.
    all_rows = {r["uid"]: r for f in splits.values() for r in f.iter_rows(named=True)}
    train_uids = set(splits["train"]["uid"].to_list())
    n_with_context = 0
    for split in ("train", "val", "test"):
        for row in read(summary.out_dir / "sft" / f"{split}.parquet").iter_rows(named=True):
            assert len(row["context_uids"]) <= recipe.data.context_ads
            me = all_rows[row["uid"]]
            for uid in row["context_uids"]:
                assert uid in train_uids
                assert uid != row["uid"]
                assert all_rows[uid]["channel_name"] == me["channel_name"]
                assert all_rows[uid]["date"] < me["date"]
            n_with_context += bool(row["context_uids"])
    assert n_with_context > 10


def test_cpt_leaves_out_held_out_texts_and_their_reposts(data_dir: Path) -> None:
    splits = data_dir / "curated" / "splits"
    test_ad = read(splits / "test.parquet").row(0, named=True)
    cleaned_path = data_dir / "cleaned" / "messages.parquet"
    cleaned = read(cleaned_path)
    # The same ad reposted in another channel under another uid must not leak into CPT.
    repost = {**{c: test_ad.get(c) for c in cleaned.columns}, "uid": "999:1",
              "channel_name": "Other", "date": datetime(2025, 1, 1, tzinfo=UTC)}
    pl.concat([cleaned, pl.DataFrame([repost], schema=cleaned.schema)]).write_parquet(cleaned_path)

    summary = build_data(data_dir, load_recipe("tiny-cpu"), progress=False)
    cpt = read(summary.out_dir / "cpt" / "train.parquet")
    held = set(read(splits / "val.parquet")["uid"]) | set(read(splits / "test.parquet")["uid"])
    assert not set(cpt["uid"]) & held
    assert "999:1" not in set(cpt["uid"])
    assert test_ad["text"] not in set(cpt["text"])
    assert cpt.height == summary.cpt_rows["train"] > 0
    assert cpt["text"].n_unique() == cpt.height


def test_manifest_points_at_the_split_manifest(data_dir: Path) -> None:
    recipe = load_recipe("tiny-cpu")
    summary = build_data(data_dir, recipe, progress=False)
    manifest = json.loads((summary.out_dir / "manifest.json").read_text(encoding="utf-8"))
    split_manifest = data_dir / "curated" / "splits" / "manifest.json"
    assert manifest["split_manifest"] == str(split_manifest)
    assert manifest["split_manifest_sha256"] == sha256_file(split_manifest)
    assert manifest["label_snapshot"] == json.loads(split_manifest.read_text())["label_snapshot"]
    assert manifest["fingerprint"] == recipe.fingerprint()
    assert "sft/train.parquet" in manifest["outputs"]
    assert manifest["outputs"]["sft/train.parquet"]["rows"] == summary.sft_rows["train"]
    # The prompt spec is saved beside the data and its hash recorded.
    spec = load_prompt_spec(summary.out_dir)
    assert spec == prompt_spec_of(recipe)
    assert (spec.context_ads, spec.context_chars) == (recipe.data.context_ads,
                                                      recipe.data.context_chars)
    assert manifest["prompt_spec_sha256"] == spec.sha256()
    assert manifest["outputs"][PROMPT_SPEC_FILE]["sha256"] == sha256_file(
        summary.out_dir / PROMPT_SPEC_FILE)


def test_ensure_data_rebuilds_only_when_stale(data_dir: Path, tmp_path: Path) -> None:
    recipe = load_recipe("tiny-cpu")
    assert ensure_data(data_dir, recipe, progress=False)[1] is True
    assert ensure_data(data_dir, recipe, progress=False)[1] is False
    template = tmp_path / "brief.jinja"
    template.write_text("Ad for {{ channel }} ({{ vertical }})", encoding="utf-8")
    edited = load_recipe("tiny-cpu", [f"data.prompt_template={template}"])
    out, rebuilt = ensure_data(data_dir, edited, progress=False)
    assert rebuilt
    assert read(out / "sft" / "train.parquet")["prompt"][0].startswith("Ad for ")
    # Editing the template file alone (same recipe) also makes the data stale.
    template.write_text("Edited {{ channel }}", encoding="utf-8")
    out, rebuilt = ensure_data(data_dir, edited, progress=False)
    assert rebuilt
    assert load_prompt_spec(out).template == "Edited {{ channel }}"
    # The same text at another path (each run reads its own copy of the templates) is current.
    copy = tmp_path / "run-copy" / "brief.jinja"
    copy.parent.mkdir()
    copy.write_text("Edited {{ channel }}", encoding="utf-8")
    moved = load_recipe("tiny-cpu", [f"data.prompt_template={copy}"])
    assert ensure_data(data_dir, moved, progress=False)[1] is False


def test_missing_splits_and_bad_templates_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(DataContractError, match="run `workbench curate split` first"):
        build_data(tmp_path, load_recipe("tiny-cpu"), progress=False)
    synthetic_copy(tmp_path, n_ads=10, n_non_ads=2, seed=1)
    bad = tmp_path / "bad.jinja"
    bad.write_text("{{ chanel }}", encoding="utf-8")
    with pytest.raises(ConfigError, match="'chanel' is undefined"):
        build_data(tmp_path, load_recipe("tiny-cpu", [f"data.prompt_template={bad}"]),
                   progress=False)
    broken = tmp_path / "broken.jinja"
    broken.write_text("{% if %}", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.jinja: line 1"):
        build_data(tmp_path, load_recipe("tiny-cpu", [f"data.prompt_template={broken}"]),
                   progress=False)


# --- Loss mask ------------------------------------------------------------------------------


def _batch(labels: list[list[int]], lengths: list[int] | None = None) -> dict:
    import torch

    ids = torch.ones(len(labels), len(labels[0]), dtype=torch.long)
    mask = torch.ones_like(ids)
    if lengths:
        for row, n in enumerate(lengths):
            mask[row, n:] = 0
    return {"input_ids": ids, "attention_mask": mask, "labels": torch.tensor(labels)}


def test_loss_mask_check_on_handmade_batches() -> None:
    ok = _batch([[-100, -100, -100, 4, 5, 6], [-100, -100, 3, 4, -100, -100]], lengths=[6, 4])
    report = check_loss_mask(ok, prompt_lengths=[3, 2])
    assert report.trained_tokens == 5
    assert report.real_tokens == 10
    assert report.rows_checked == 2
    with pytest.raises(LossMaskError, match="all zeros"):
        check_loss_mask(_batch([[-100] * 4, [-100] * 4]))
    with pytest.raises(LossMaskError, match="all ones"):
        check_loss_mask(_batch([[1, 2, 3, 4], [1, 2, -100, -100]], lengths=[4, 2]))
    # All ones is expected for continued pretraining.
    assert check_loss_mask(_batch([[1, 2, 3, 4]]), objective="cpt").share == 1.0
    with pytest.raises(LossMaskError, match="starts at token 1 but its prompt ends at token 3"):
        check_loss_mask(_batch([[-100, 2, 3, 4, 5, 6]]), prompt_lengths=[3])
    with pytest.raises(LossMaskError, match="covers 1 of its 4 completion tokens"):
        check_loss_mask(_batch([[-100, -100, 3, -100, -100, -100]]), prompt_lengths=[2])


TEMPLATES = {
    # Only the assistant turn is marked: the right mask.
    "good": Path(__file__).resolve().parents[1] / "training" / "templates" / "chat.jinja",
}
NO_MARKERS = ("{{ bos_token }}{% for m in messages %}<|user|>{{ m['content'] }}{% endfor %}"
              "{% if add_generation_prompt %}<|assistant|>{% endif %}")
ALL_MARKED = ("{% generation %}{{ bos_token }}{% for m in messages %}<|user|>{{ m['content'] }}"
              "{% endfor %}{% endgeneration %}")


def _tokenized(tokenizer: object, template: str, rows: list[list[dict]]) -> dict:
    """Collate rows the way trl does: labels = ids where the assistant mask is 1."""
    import torch

    tokenizer.chat_template = template  # type: ignore[attr-defined]
    encoded = [tokenizer.apply_chat_template(m, tokenize=True, return_dict=True,  # type: ignore[attr-defined]
                                             return_assistant_tokens_mask=True) for m in rows]
    width = max(len(e["input_ids"]) for e in encoded)
    ids = torch.zeros(len(rows), width, dtype=torch.long)
    att = torch.zeros_like(ids)
    labels = torch.full_like(ids, -100)
    for i, e in enumerate(encoded):
        n = len(e["input_ids"])
        ids[i, :n] = torch.tensor(e["input_ids"])
        att[i, :n] = 1
        keep = torch.tensor(e["assistant_masks"]).bool()
        labels[i, :n] = torch.where(keep, ids[i, :n], torch.tensor(-100))
    return {"input_ids": ids, "attention_mask": att, "labels": labels}


def test_loss_mask_with_real_chat_templates(data_dir: Path) -> None:
    from workbench.training.tokenizer import train_bpe

    summary = build_data(data_dir, load_recipe("tiny-cpu"), progress=False)
    rows = [r["messages"] for r in read(summary.out_dir / "sft" / "train.parquet").head(4).to_dicts()]
    texts = [m["content"] for r in rows for m in r]
    tokenizer = train_bpe(texts, vocab_size=800)

    good = _tokenized(tokenizer, TEMPLATES["good"].read_text(encoding="utf-8"), rows)
    lengths = [prompt_length(tokenizer, r) for r in rows]
    report = check_loss_mask(good, prompt_lengths=lengths)
    assert report.rows_checked == 4
    assert 0.05 < report.share < 0.9
    # The trained tokens are exactly the ad plus the end-of-text token.
    first = good["labels"][0]
    trained = first[first != -100].tolist()
    assert tokenizer.decode(trained[:-1]) == rows[0][-1]["content"]
    assert trained[-1] == tokenizer.eos_token_id

    with pytest.raises(LossMaskError, match="all zeros"):
        check_loss_mask(_tokenized(tokenizer, NO_MARKERS, rows))
    with pytest.raises(LossMaskError, match="all ones"):
        check_loss_mask(_tokenized(tokenizer, ALL_MARKED, rows))
