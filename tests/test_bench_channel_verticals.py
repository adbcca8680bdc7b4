"""``bench/channel_verticals.py`` scores ``curate flag`` on rounds that name each post's channel."""

from __future__ import annotations

from pathlib import Path

from bench.channel_verticals import accuracy_table, read_round
from tests.rules_fixtures import ROUND5_DEV_FILE, ROUND8_DEV_FILE, round3_dev


def test_a_round_with_sources_becomes_channel_uids() -> None:
    ads = read_round(ROUND5_DEV_FILE)
    posts = [p for p in round3_dev(ROUND5_DEV_FILE) if p.label == "Ad"]
    assert ads.height == len(posts) == 113
    assert ads["text"].to_list() == [p.text for p in posts]  # the source is not in the text
    assert all(uid.startswith(f"{source}:") for uid, source in ads.select("uid", "source").rows())
    assert ads["uid"].is_unique().all()


def test_the_channel_labels_help_on_round_5s_development_half(tmp_path: Path) -> None:
    """The shops of round 5 post one vertical each: pooling their labels must not lose."""
    ads = read_round(ROUND5_DEV_FILE)
    off = accuracy_table(ads, tmp_path, channel_prior=False)
    on = accuracy_table(ads, tmp_path, channel_prior=True)
    assert off.height == on.height == ads.height
    assert on["right"].mean() > off["right"].mean()
    groups = on.filter(on["source"].str.starts_with("group_"))
    groups_off = off.filter(off["source"].str.starts_with("group_"))
    assert groups["right"].mean() >= groups_off["right"].mean() - 0.05


def test_a_round_with_a_tags_column_reads_the_source_by_name() -> None:
    # Round 8 has label, vertical, tags, source, text: the source is the fourth column.
    ads = read_round(ROUND8_DEV_FILE)
    posts = [p for p in round3_dev(ROUND8_DEV_FILE) if p.label == "Ad"]
    assert ads["source"].to_list() == [p.source for p in posts]
    assert ads["text"].to_list() == [p.text for p in posts]
    assert "" not in set(ads["source"])
