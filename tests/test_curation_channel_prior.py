"""The labels of a post's channel pooled into curate flag's probabilities, at a weight the labels
choose: decisive where the channel predicts the label, left out where it does not."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from workbench.core.config import ProjectConfig
from workbench.curation.channel_prior import ChannelPrior, channel_keys, neighbour_prior
from workbench.curation.flag import run_flag
from workbench.curation.rule_prior import WEIGHTS

#: Three shops, one vertical each.
SHOPS = {"-1001": "Computing products & consumer electronics", "-1002": "Retail",
         "-1003": "CPG & consumer products"}
#: Captions that name no product: the text alone cannot tell the shops apart.
CAPTIONS = ["ዋጋ በውስጥ መስመር", "አዲስ ገቢ ✅", "ያዋሩን 📥", "ውስን ፍሬ ብቻ ቀርቷል", "ዛሬውኑ ይዘዙ"]


def _write(tmp_path: Path, *, with_channels: bool) -> tuple[Path, Path]:
    rows, labels = [], []
    for c, (channel, vertical) in enumerate(SHOPS.items()):
        for i in range(20):
            uid = f"{channel}:{i + 1}" if with_channels else f"post-{c}-{i + 1}"
            rows.append({"uid": uid, "text": f"{CAPTIONS[(i + c) % len(CAPTIONS)]} #{i % 7}"})
            labels.append({"uid": uid, "task": "vertical", "annotator": "abebe",
                           "value": vertical})
    folder = tmp_path / ("channels" if with_channels else "plain")
    folder.mkdir()
    pl.DataFrame(rows).write_csv(folder / "texts.csv")
    pl.DataFrame(labels).write_csv(folder / "labels.csv")
    return folder / "texts.csv", folder / "labels.csv"


def _flag(tmp_path: Path, texts: Path, labels: Path, name: str,
          cfg: ProjectConfig | None = None) -> tuple[dict, float]:
    result = run_flag(tmp_path / "data", cfg or ProjectConfig(), texts=texts, annotations=labels,
                      out=tmp_path / name)
    tasks = json.loads((tmp_path / name / "manifest.json").read_text(encoding="utf-8"))["runs"][
        "flag"]["tasks"]
    issues = result.label_issues
    right = (issues["suggested"].list.first() == issues["label"].list.first()).mean()
    return tasks["vertical"], float(right)


def test_channels_that_predict_the_label_are_pooled_in(tmp_path: Path) -> None:
    texts, labels = _write(tmp_path, with_channels=True)
    on, accuracy_on = _flag(tmp_path, texts, labels, "on")
    off, accuracy_off = _flag(tmp_path, texts, labels, "off", ProjectConfig.model_validate(
        {"curation": {"flag": {"channel_prior": False}}}))
    assert on["channel_weight"] in WEIGHTS
    assert on["channel_weight"] > 0
    assert off["channel_weight"] is None
    assert accuracy_off < 0.7  # the captions alone say little
    assert accuracy_on == 1.0
    assert on["accuracy"] == 1.0


def test_uids_without_a_channel_change_nothing(tmp_path: Path) -> None:
    texts, labels = _write(tmp_path, with_channels=False)
    tasks, _ = _flag(tmp_path, texts, labels, "plain")
    assert tasks["channel_weight"] is None


def test_each_item_sees_only_the_other_labels_of_its_channel() -> None:
    prior = ChannelPrior(np.array(["a", "a", "a", None], dtype=object),
                         np.array(["a", "b", None], dtype=object))
    y = np.array([0, 0, 1, 1])
    items = prior.item_probs(y, 2)
    # Item 0's neighbours are one 0 and one 1: even, whatever its own label.
    assert np.allclose(items[0], [0.5, 0.5])
    # Item 2's neighbours are two 0s: pulled toward 0 by (2 + 0.5) / 3.
    assert np.allclose(items[2], [2.5 / 3, 0.5 / 3])
    # No channel: uniform.
    assert np.allclose(items[3], [0.5, 0.5])
    other = prior.other_probs(y, 2)
    # Every label of channel a (two 0s, one 1): shares 2.5/4 and 1.5/4, mixed with uniform by
    # how often a's posts agree (one pair of three): 1/3 of the shares, 2/3 of 1/2.
    assert np.allclose(other[0], [2.5 / 12 + 1 / 3, 1.5 / 12 + 1 / 3])
    assert np.allclose(other[1], [0.5, 0.5])  # a channel nobody labeled
    assert np.allclose(other[2], [0.5, 0.5])


def test_a_group_whose_posts_disagree_pulls_less_than_a_shop() -> None:
    """A buy-and-sell group's members post anything: its labels barely move a post, while a
    shop's pull hard (the same number of labeled neighbours, one label each)."""
    shop = neighbour_prior(np.array([[6.0, 0.0, 0.0]]))[0]
    group = neighbour_prior(np.array([[2.0, 2.0, 2.0]]))[0]
    assert shop[0] > 0.8
    assert np.allclose(group, 1 / 3)
    # A group with one label in the majority leans a little toward it, far less than the shop.
    leaning = neighbour_prior(np.array([[3.0, 2.0, 1.0]]))[0]
    assert 1 / 3 < leaning[0] < 0.45


def test_a_channel_that_says_nothing_gets_no_weight() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=300)
    keys = np.array([f"c{k}" for k in rng.integers(0, 10, size=300)], dtype=object)
    probs = np.full((300, 3), 0.1)
    probs[np.arange(300), y] = 0.8  # a good classifier; the channels are noise
    prior = ChannelPrior(keys, np.array([], dtype=object))
    pooled, _ = prior.apply(probs, None, y)
    assert prior.weight == 0.0
    assert pooled is probs


def test_channel_keys_read_the_uid() -> None:
    keys = channel_keys(pl.DataFrame({"uid": ["-100:1", "-100:2", "-200:7"]}))
    assert keys is not None
    assert keys.tolist() == ["-100", "-100", "-200"]
