"""The synthetic export generator and the committed samples it produced."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from synthetic.exports import (
    SAMPLE_CHANNELS,
    SEED_LABEL_NOTE,
    TAGS,
    VERTICALS,
    generate_corpus,
    generate_export,
    main,
    write_corpus,
    write_export,
    write_samples,
)
from workbench.core.resources import sample
from workbench.ingest.parse import parse_export

SAMPLES = sample()
TELEGRAM = SAMPLES / "telegram"
ENTITY_TYPES = {"bold", "italic", "link", "text_link", "mention", "hashtag", "phone",
                "custom_emoji", "email"}
ISO_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def _flat(text: str | list[Any]) -> str:
    if isinstance(text, str):
        return text
    return "".join(p if isinstance(p, str) else p["text"] for p in text)


def _load_samples() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(TELEGRAM.glob("*/result.json"))]


def _seed_labels() -> list[dict[str, Any]]:
    lines = (TELEGRAM / "seed_labels.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def samples() -> list[dict[str, Any]]:
    return _load_samples()


@pytest.fixture(scope="module")
def small_corpus() -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    return generate_corpus(3000, n_channels=6, seed=11)


# --- determinism ---------------------------------------------------------------------------------


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a, la = generate_export("Sheger Press", 42, 400, seed=3)
    b, lb = generate_export("Sheger Press", 42, 400, seed=3)
    write_export(a, tmp_path / "a.json")
    write_export(b, tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert la == lb
    c, _ = generate_export("Sheger Press", 42, 400, seed=4)
    write_export(c, tmp_path / "c.json")
    assert (tmp_path / "c.json").read_bytes() != (tmp_path / "a.json").read_bytes()


def test_corpus_is_deterministic(tmp_path: Path) -> None:
    write_corpus(generate_corpus(800, n_channels=4, seed=5), tmp_path / "x")
    write_corpus(generate_corpus(800, n_channels=4, seed=5), tmp_path / "y")
    files = sorted(p.relative_to(tmp_path / "x") for p in (tmp_path / "x").rglob("*") if p.is_file())
    assert files
    for rel in files:
        assert (tmp_path / "x" / rel).read_bytes() == (tmp_path / "y" / rel).read_bytes()


def test_written_json_is_telegram_style(tmp_path: Path) -> None:
    export, _ = generate_export("አዲስ ነገር መረጃ", 7, 50, seed=1)
    write_export(export, tmp_path / "r.json")
    raw = (tmp_path / "r.json").read_bytes()
    assert raw == (json.dumps(export, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    assert "አዲስ".encode() in raw  # Ge'ez is written as UTF-8, not \\u escapes


def test_corpus_counts_and_channels() -> None:
    corpus = generate_corpus(1234, n_channels=27, seed=2)
    assert len(corpus) == 27
    assert sum(len(e["messages"]) for e, _ in corpus) == 1234
    assert len({e["id"] for e, _ in corpus}) == 27


# --- the committed samples ------------------------------------------------------------------------


def test_committed_samples_match_a_fresh_run(tmp_path: Path) -> None:
    write_samples(tmp_path)
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(TELEGRAM) for p in TELEGRAM.rglob("*") if p.is_file())
    assert fresh == committed, "regenerate: python -m synthetic.exports --samples workbench/defaults/samples/telegram"
    for rel in fresh:
        assert (tmp_path / rel).read_bytes() == (TELEGRAM / rel).read_bytes(), rel


def test_samples_size_and_channels(samples: list[dict[str, Any]]) -> None:
    assert sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file()) < 2_000_000
    names = {e["name"] for e in samples}
    assert names == {spec[0] for spec in SAMPLE_CHANNELS}
    assert {"TIKVAH-ETHIOPIA", "Sheger Press", "አዲስ ነገር መረጃ"} <= names
    assert sum(len(e["messages"]) for e in samples) >= 600
    tikvah = next(e for e in samples if e["name"] == "TIKVAH-ETHIOPIA")
    ids = [m["id"] for m in tikvah["messages"]]
    assert max(ids) <= 90000
    for group in range(6):  # each annotator group's 15,000-id slice holds messages
        assert any(group * 15000 < i <= (group + 1) * 15000 for i in ids), group


def test_every_text_shape_is_present(samples: list[dict[str, Any]]) -> None:
    messages = [m for e in samples for m in e["messages"]]
    content = [m for m in messages if m["type"] == "message"]
    assert any(isinstance(m["text"], str) and m["text"] for m in content)
    assert any(isinstance(m["text"], list) for m in content)
    typed = [p for m in content if isinstance(m["text"], list) for p in m["text"] if isinstance(p, dict)]
    assert {p["type"] for p in typed} >= ENTITY_TYPES
    assert all(p.get("href", "").startswith("https://") for p in typed if p["type"] == "text_link")
    assert all(p.get("document_id") for p in typed if p["type"] == "custom_emoji")
    services = [m for m in messages if m["type"] == "service"]
    assert {"create_channel", "pin_message"} <= {m["action"] for m in services}
    assert all(m["text"] == "" and m["text_entities"] == [] for m in services)
    assert any("photo" in m and "width" in m and m["text"] == "" for m in content)
    assert any("photo" in m and m["text"] for m in content)
    videos = [m for m in content if m.get("media_type") == "video_file"]
    assert videos
    assert all(m["file"] and m["mime_type"] == "video/mp4" for m in videos)
    edited = [m for m in content if "edited" in m]
    assert edited
    assert all(int(m["edited_unixtime"]) > int(m["date_unixtime"]) for m in edited)
    assert any("forwarded_from" in m for m in content)
    assert any("author" in m for m in content)
    for export in samples:
        ids = {m["id"] for m in export["messages"]}
        replies = [m["reply_to_message_id"] for m in export["messages"] if "reply_to_message_id" in m]
        assert set(replies) <= ids
    assert any("reply_to_message_id" in m for m in content)
    texts = [_flat(m["text"]) for m in content]
    joined = "".join(texts)
    assert "\u200d" in joined  # ZWJ sequences
    assert re.search("[\U0001f3fb-\U0001f3ff]", joined)  # skin tones
    assert "\u20e3" in joined  # keycaps
    assert "🇪🇹" in joined
    assert any(len(t) > 2000 for t in texts)
    assert any(t and not re.search("[\u1200-\u137f]", t) and re.search("[A-Za-z]{4}", t) for t in texts)
    assert any(re.search("[\u1200-\u137f]", t) and re.search(r"\b[A-Za-z]{5,}\b", t) for t in texts)
    # Ge'ez homophone spellings: ሠ, ሐ, ኀ, ዐ and ጸ series as well as ሰ, ሀ, አ and ፀ.
    for lo in (0x1220, 0x1210, 0x1280, 0x12D0, 0x1338, 0x1230, 0x1200, 0x12A0, 0x1340):
        assert re.search(f"[{chr(lo)}-{chr(lo + 6)}]", joined), hex(lo)
    for m in messages:
        assert ISO_LOCAL.match(m["date"])
        assert m["date_unixtime"].isdigit()
    for export in samples:
        assert export["type"] == "public_channel"
        assert all(m["from_id"] == f"channel{export['id']}" for m in export["messages"]
                   if m["type"] == "message")


def test_reposts_across_channels_verbatim_and_edited(samples: list[dict[str, Any]]) -> None:
    where: dict[str, set[str]] = {}
    by_channel: dict[str, list[str]] = {}
    for export in samples:
        for m in export["messages"]:
            text = _flat(m["text"])
            if m["type"] == "message" and text:
                where.setdefault(text, set()).add(export["name"])
                by_channel.setdefault(export["name"], []).append(text)
    assert any(len(channels) > 1 for channels in where.values())

    def near(a: str, b: str) -> bool:
        ta, tb = a.split(" "), b.split(" ")
        return a != b and len(ta) == len(tb) and sum(x != y for x, y in zip(ta, tb, strict=True)) == 1

    names = sorted(by_channel)
    assert any(
        near(a, b)
        for i, x in enumerate(names) for y in names[i + 1:]
        for a in by_channel[x] for b in by_channel[y] if abs(len(a) - len(b)) < 8
    )


# --- labels ----------------------------------------------------------------------------------------


def _check_label_values(labels: list[dict[str, Any]]) -> None:
    for lab in labels:
        assert lab["is_ad"] in ("Ad", "Non-Ad")
        if lab["is_ad"] == "Ad":
            assert lab["vertical"] in VERTICALS
        else:
            assert lab["vertical"] is None
        assert set(lab["tags"]) <= set(TAGS)
        assert lab["tags"] == sorted(lab["tags"])


def test_seed_labels_cover_the_samples(samples: list[dict[str, Any]]) -> None:
    labels = _seed_labels()
    _check_label_values(labels)
    assert all(lab["note"] == SEED_LABEL_NOTE for lab in labels)
    content_uids = [f"{e['id']}:{m['id']}" for e in samples for m in e["messages"]
                    if m["type"] == "message"]
    assert sorted(lab["uid"] for lab in labels) == sorted(content_uids)
    verticals = Counter(lab["vertical"] for lab in labels if lab["is_ad"] == "Ad")
    assert all(verticals[v] >= 8 for v in VERTICALS), verticals
    assert sum(lab["is_ad"] == "Non-Ad" for lab in labels) >= 0.4 * len(labels)
    assert {t for lab in labels for t in lab["tags"]} == set(TAGS)
    gambling = [lab for lab in labels if "Gambling" in lab["tags"] and lab["is_ad"] == "Ad"]
    assert gambling
    assert all(lab["vertical"] == "Entertainment" for lab in gambling)


def test_generated_labels(small_corpus: list[tuple[dict[str, Any], list[dict[str, Any]]]]) -> None:
    for export, labels in small_corpus:
        _check_label_values(labels)
        content = [m for m in export["messages"] if m["type"] == "message"]
        assert [lab["uid"] for lab in labels] == [f"{export['id']}:{m['id']}" for m in content]
    all_labels = [lab for _, labels in small_corpus for lab in labels]
    assert {lab["vertical"] for lab in all_labels if lab["vertical"]} == set(VERTICALS)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="profile"):
        generate_export("x", 1, 10, seed=0, profile="nope")
    with pytest.raises(ValueError, match="id_span"):
        generate_export("x", 1, 10, seed=0, id_span=5)
    with pytest.raises(ValueError, match="n_channels"):
        generate_corpus(10, n_channels=0)


# --- the parser accepts everything -----------------------------------------------------------------


def _assert_parses(data: bytes, source: str) -> None:
    export = json.loads(data)
    parsed = parse_export(data, source, hashlib.sha256(data).hexdigest())
    assert parsed.quarantine.height == 0, parsed.quarantine["reason"].to_list()[:3]
    content = [m for m in export["messages"] if m["type"] == "message"]
    assert parsed.messages.height == len(content)
    assert parsed.n_service == len(export["messages"]) - len(content)
    for m in content:
        assert _flat(m["text"]) == "".join(e["text"] for e in m["text_entities"])
    assert parsed.messages["text"].to_list() == [_flat(m["text"]) for m in content]


def test_parser_accepts_the_samples() -> None:
    paths = sorted(TELEGRAM.glob("*/result.json"))
    assert len(paths) >= 3
    for path in paths:
        _assert_parses(path.read_bytes(), str(path))


def test_parser_accepts_generated_exports(
    tmp_path: Path, small_corpus: list[tuple[dict[str, Any], list[dict[str, Any]]]],
) -> None:
    for path in write_corpus(small_corpus, tmp_path):
        _assert_parses(path.read_bytes(), str(path))


def test_cli_writes_a_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path), "--messages", "300", "--channels", "3", "--seed", "1"]) == 0
    results = sorted(tmp_path.glob("*/result.json"))
    assert len(results) == 3
    labels = (tmp_path / "seed_labels.jsonl").read_text(encoding="utf-8").splitlines()
    assert labels
    assert json.loads(labels[0])["note"] == SEED_LABEL_NOTE
    assert "wrote 3 exports" in capsys.readouterr().out


# --- briefs ------------------------------------------------------------------------------------------


def test_briefs() -> None:
    paths = sorted((SAMPLES / "briefs").glob("*.yaml"))
    assert len(paths) == 5
    keys = {"brand", "product", "campaign_goal", "offer", "vertical", "target_channel",
            "call_to_action", "contact", "language", "notes"}
    channels = {spec[0] for spec in SAMPLE_CHANNELS}
    verticals = []
    for path in paths:
        brief = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert set(brief) == keys, path
        assert brief["vertical"] in VERTICALS
        assert brief["target_channel"] in channels
        assert brief["language"] in ("am", "en", "mixed")
        assert all(isinstance(brief[k], str) and brief[k].strip() for k in keys)
        verticals.append(brief["vertical"])
    assert len(set(verticals)) == 5
