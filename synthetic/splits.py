"""Curated splits made by the real pipeline from seeded synthetic Amharic Telegram posts.

The texts are assembled from hand-written Amharic phrases (products, prices in birr, Ethiopian
phone numbers, @handles, emojis, calls to action) so that every field the SFT brief reads is
present and known. They are not real ads and say nothing about model quality; they exercise the
code paths on data with the right shape and script.

:func:`write_pipeline_splits` turns labeled posts into the curated splits the way a user's data
gets there: a Telegram export per channel -> ``workbench ingest`` -> the labels written by the
pull's writer (as adjudicated review answers, so curation keeps every one) -> ``curate flag`` ->
``curate split`` by time, with ratios that put each post in the split it was given for.

Examples
--------
>>> posts = synthetic_posts(n_ads=12, n_non_ads=3, seed=1)
>>> sorted({p.split for p in posts})
['test', 'train', 'val']
>>> sorted({p.is_ad for p in posts if p.split == "train"})
['Ad', 'Non-Ad']
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from workbench.core.config import ProjectConfig
from workbench.core.taxonomy import load_taxonomy, taxonomy_path
from workbench.curation.flag import run_flag
from workbench.curation.split import run_split
from workbench.ingest.pipeline import run_ingest
from workbench.labeling.pull import write_pull
from workbench.labeling.records import REVIEW_PROJECT, RawAnnotation

#: vertical -> (products, brands)
CATALOGUE: dict[str, tuple[list[str], list[str]]] = {
    "Retail": (["ጫማ", "ልብስ", "ቦርሳ", "ሶፋ", "የቤት እቃ"], ["Zara", "Nike", "Adidas"]),
    "Automotive": (["መኪና", "ጎማ", "የመኪና መለዋወጫ", "ሞተር ሳይክል"], ["Toyota", "Hyundai", "Suzuki"]),
    "Financial services": (["ቁጠባ ሂሳብ", "ብድር", "ኢንሹራንስ"], ["Awash Bank", "telebirr", "CBE Birr"]),
    "Telecom": (["የሞባይል ጥቅል", "ኢንተርኔት", "ሲም ካርድ"], ["Ethio telecom", "Safaricom"]),
    "CPG & consumer products": (["ሳሙና", "የምግብ ዘይት", "ቡና", "ሎሽን"], ["Nivea", "Omo", "Tomoca"]),
    "Travel": (["የአውሮፕላን ትኬት", "ሆቴል", "የጉብኝት ፓኬጅ", "ቪዛ"], ["Ethiopian Airlines", "Skylight"]),
    "Computing products & consumer electronics": (
        ["ላፕቶፕ", "ስልክ", "ቲቪ", "ታብሌት"], ["Samsung", "iPhone", "HP", "Lenovo"]),
    "Media": (["ቻናል", "መጽሔት", "መጽሐፍ", "ፖድካስት"], ["Sheger FM", "EBS"]),
    "Entertainment": (["ኮንሰርት", "ፊልም", "ጨዋታ", "የሲኒማ ትኬት"], ["Edna Mall", "Ghion"]),
    "Healthcare & pharma": (["ክሊኒክ", "መድሃኒት", "የጤና ምርመራ", "ፋርማሲ"], ["Hayat", "Bethzatha"]),
}

ADJECTIVES = ["አዲስ", "ጥራት ያለው", "ኦሪጅናል", "ምርጥ", "ዘመናዊ"]
PLACES = ["ቦሌ", "ፒያሳ", "መገናኛ", "መርካቶ", "4 ኪሎ", "ሳር ቤት"]
EMOJIS = ["🔥", "📞", "👉", "✅", "🎉", "💯", "📍"]
OPENERS = [
    "{emoji} {adj} {product} በቅናሽ ዋጋ!",
    "{brand} {product} አሁን በእጃችን ይገኛል።",
    "{emoji} ልዩ ቅናሽ፦ {brand} {product}",
    "{adj} {product} ከ{brand} በተመጣጣኝ ዋጋ",
]
MIDDLES = [
    "ዋጋ፦ {price} ብር ብቻ",
    "በ{price} ብር ብቻ የራስዎ ያድርጉ",
    "ነፃ ዴሊቨሪ በአዲስ አበባ ውስጥ",
    "ጥራቱን የጠበቀ እና ዋስትና ያለው",
    "አድራሻ፦ {place}",
]
CLOSERS = [
    "ለበለጠ መረጃ {phone} ላይ ይደውሉ 📞",
    "አሁኑኑ ይዘዙ! {phone}",
    "ቻናላችንን ይቀላቀሉ 👉 @{handle}",
    "ይደውሉልን፦ {phone} ወይም @{handle}",
]
NEWS = [
    "ዛሬ በአዲስ አበባ ከባድ ዝናብ ጣለ።",
    "የኢትዮጵያ ብሔራዊ ቡድን ጨዋታውን አሸነፈ።",
    "መንግስት አዲስ መመሪያ ማውጣቱን አስታወቀ።",
    "በክልሉ የትምህርት ቤቶች ምዝገባ ነገ ይጀመራል።",
    "የነዳጅ ዋጋ ላይ ማስተካከያ መደረጉ ተገለጸ።",
]
CHANNELS = ["ሸገር ገበያ", "Addis Deals", "ቤተሰብ ሾፕ", "Habesha Market", "ኢትዮ ማስታወቂያ"]

SPLITS = ("train", "val", "test")
START = datetime(2024, 1, 1, 8, tzinfo=UTC)
#: The annotation-id prefix of the synthetic labels (a "backend" of its own).
BACKEND = "synthetic"


def _phone(rng: random.Random) -> tuple[str, str]:
    """(as written, E.164) of a random Ethiopian mobile number."""
    rest = f"{rng.randint(0, 99_999_999):08d}"
    written = rng.choice(["09{r}", "+2519{r}", "09{a} {b}"]).format(r=rest, a=rest[:4], b=rest[4:])
    return written, f"+2519{rest}"


def _ad(rng: random.Random, vertical: str, handle: str) -> dict[str, object]:
    products, brands = CATALOGUE[vertical]
    phone, e164 = _phone(rng)
    price = rng.choice([150, 450, 1200, 2500, 8900, 15000, 45000])
    fill = {
        "emoji": rng.choice(EMOJIS), "adj": rng.choice(ADJECTIVES), "product": rng.choice(products),
        "brand": rng.choice(brands), "price": f"{price:,}", "place": rng.choice(PLACES),
        "phone": phone, "handle": handle,
    }
    lines = [rng.choice(OPENERS), *rng.sample(MIDDLES, k=rng.randint(1, 3)), rng.choice(CLOSERS)]
    text = "\n".join(line.format(**fill) for line in lines)
    return {
        "text": text,
        "phones": [e164] if phone in text else [],
        "prices": [float(price)] if fill["price"] in text else [],
        # As ingest stores them: the handle without its "@".
        "mentions": [handle] if f"@{handle}" in text else [],
        "emojis": [e for e in EMOJIS if e in text],
        "tags": [],
    }


@dataclass(frozen=True)
class Post:
    """One synthetic Telegram post and the labels it was written to have.

    Attributes
    ----------
    channel
        Channel name (one export per channel).
    text
        The post's text.
    is_ad
        ``Ad`` or ``Non-Ad``.
    vertical
        The ad's vertical (None for a non-ad).
    tags
        Content tags.
    split
        The curated split it should land in (``train``, ``val``, ``test``).
    channel_id
        The export's chat id (with ``message_id``, the uid ingest gives the post).
    message_id
        The message id; its date is ``START`` plus that many hours, so a post keeps its uid and
        date in every data dir it is written to.
    """

    channel: str
    text: str
    is_ad: str
    vertical: str | None
    tags: tuple[str, ...]
    split: str
    channel_id: int
    message_id: int

    @property
    def uid(self) -> str:
        """The uid ingest gives this post."""
        return f"{self.channel_id}:{self.message_id}"


def synthetic_posts(
    *, n_ads: int = 60, n_non_ads: int = 15, n_channels: int = 3, seed: int = 0
) -> list[Post]:
    """Synthetic labeled posts, about 70/15/15 train/val/test.

    Parameters
    ----------
    n_ads, n_non_ads
        How many Ad and Non-Ad messages in total.
    n_channels
        Channels the messages are spread over (at most 5).
    seed
        Seeds every choice; the same arguments give the same posts.
    """
    rng = random.Random(seed)
    channels = CHANNELS[: max(1, min(n_channels, len(CHANNELS)))]
    verticals = list(CATALOGUE)
    kinds = ["Ad"] * n_ads + ["Non-Ad"] * n_non_ads
    rng.shuffle(kinds)
    drafts = []
    for i, kind in enumerate(kinds):
        channel = channels[i % len(channels)]
        if kind == "Ad":
            vertical = verticals[rng.randrange(len(verticals))]
            text = str(_ad(rng, vertical, f"shop_{i % len(channels)}_et")["text"])
            drafts.append((channel, text, kind, vertical, ()))
        else:
            text = " ".join(rng.sample(NEWS, k=2))
            drafts.append((channel, text, kind, None, ("Politics",) if "መንግስት" in text else ()))
    order = list(range(len(drafts)))
    rng.shuffle(order)
    n = len(order)
    split_of = {i: "train" for i in order[: int(n * 0.7)]}
    split_of |= {i: "val" for i in order[int(n * 0.7): int(n * 0.85)]}
    split_of |= {i: "test" for i in order[int(n * 0.85):]}
    ids = {name: 1000 + i for i, name in enumerate(channels)}
    posts = [Post(c, t, k, v, tags, split_of[i], ids[c], i + 1)
             for i, (c, t, k, v, tags) in enumerate(drafts)]
    # Dates follow message ids: train's posts first, then val's, then test's (split by time).
    ordered = [p for name in SPLITS for p in posts if p.split == name]
    return [replace(p, message_id=i) for i, p in enumerate(ordered, start=1)]


def write_exports(folder: Path, posts: Sequence[Post]) -> list[Path]:
    """One Telegram Desktop ``result.json`` per channel.

    Returns
    -------
    list[Path]
        The export files, one per channel.
    """
    chats: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for post in posts:
        when = START + timedelta(hours=post.message_id)
        chats.setdefault((post.channel_id, post.channel), []).append({
            "id": post.message_id, "type": "message",
            # Telegram writes local time beside the Unix time; ingest reads the latter.
            "date": when.strftime("%Y-%m-%dT%H:%M:%S"), "date_unixtime": str(int(when.timestamp())),
            "from": post.channel, "from_id": f"channel{post.channel_id}", "text": post.text,
            "text_entities": [{"type": "plain", "text": post.text}],
        })
    paths = []
    for (cid, name), messages in chats.items():
        path = folder / str(cid) / "result.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        export = {"name": name, "type": "public_channel", "id": cid, "messages": messages}
        path.write_text(json.dumps(export, ensure_ascii=False, indent=1), encoding="utf-8")
        paths.append(path)
    return paths


def pull_labels(data_dir: Path, posts: Sequence[Post]) -> Path:
    """Write each post's labels through the pull's writer, as adjudicated review answers.

    Returns
    -------
    Path
        The label snapshot written under ``labels/snapshots/``.
    """
    taxonomy = load_taxonomy()
    when = START
    raws = []
    for post in posts:
        uid = post.uid
        answers = {"is_ad": [post.is_ad], "tags": list(post.tags)}
        if post.vertical is not None:
            answers["vertical"] = [post.vertical]
        raws.append(RawAnnotation(uid=uid, project=REVIEW_PROJECT, annotator="synthetic@labels",
                                  annotation_id=f"{BACKEND}:{uid}", answers=answers,
                                  created_at=when, updated_at=when))
    return write_pull(data_dir, raws, taxonomy, backend=BACKEND, source="synthetic labels",
                      taxonomy_path=taxonomy_path()).snapshot


def write_pipeline_splits(data_dir: Path, posts: Sequence[Post],
                          cfg: ProjectConfig | None = None) -> Path:
    """Ingest ``posts``, pull their labels, flag and split: ``DIR/curated/splits``.

    The posts are split by time (their dates follow their message ids) with ratios half a post
    inside each boundary, so every post lands in its own ``split`` when message ids grow from
    train to val to test (as :func:`synthetic_posts` makes them) and no near-duplicates cross.

    Returns
    -------
    Path
        The splits folder.
    """
    cfg = cfg or ProjectConfig()
    counts = [sum(p.split == name for p in posts) for name in SPLITS]
    train = (counts[0] - 0.5) / len(posts)
    val = counts[1] / len(posts)
    ratios = (train, val, 1.0 - train - val)
    write_exports(data_dir / "exports", posts)
    run_ingest([data_dir / "exports"], data_dir, cfg.cleaning)
    pull_labels(data_dir, posts)
    # Every label is adjudicated, so split keeps it whatever flag says. Flag must run (split
    # reads its output); on is_ad only, because on these labels cleanlab's multi-label check
    # raises on the tags task ("max() arg is an empty sequence").
    run_flag(data_dir, cfg, tasks=["is_ad"])
    result = run_split(data_dir, cfg, by="time", ratios=ratios)
    if result.out_dir is None:
        msg = "curate split wrote nothing"
        raise RuntimeError(msg)
    return result.out_dir


def write_synthetic_splits(data_dir: Path, **kwargs: int) -> Path:
    """:func:`write_pipeline_splits` of :func:`synthetic_posts` (``kwargs`` go to the latter)."""
    return write_pipeline_splits(data_dir, synthetic_posts(**kwargs))
