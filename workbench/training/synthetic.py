"""Seeded synthetic Amharic Telegram ads in the curated-splits shape (tests and benchmarks).

The texts are assembled from hand-written Amharic phrases (products, prices in birr, Ethiopian
phone numbers, @handles, emojis, calls to action) so that every field the SFT brief reads is
present and known. They are not real ads and say nothing about model quality; they exercise the
code paths on data with the right shape and script.

Examples
--------
>>> splits = synthetic_splits(n_ads=12, n_non_ads=3, seed=1)
>>> sorted(splits)
['test', 'train', 'val']
>>> splits["train"]["is_ad"].unique().sort().to_list()
['Ad', 'Non-Ad']
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from workbench.core.io import build_manifest, sha256_file, write_json_atomic, write_parquet_atomic

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
_LINK = re.compile(r"https?://\S+")


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


def _clean(text: str, emojis: list[str], mentions: list[str]) -> str:
    for token in [*emojis, *(f"@{m}" for m in mentions)]:
        text = text.replace(token, " ")
    return " ".join(_LINK.sub(" ", text).split())


def synthetic_splits(
    *, n_ads: int = 60, n_non_ads: int = 15, n_channels: int = 3, seed: int = 0
) -> dict[str, pl.DataFrame]:
    """Curated-split frames (``train``/``val``/``test``, about 70/15/15) of synthetic messages.

    Parameters
    ----------
    n_ads, n_non_ads
        How many Ad and Non-Ad messages in total.
    n_channels
        Channels the messages are spread over (at most 5).
    seed
        Seeds every choice; the same arguments give the same frames.

    Returns
    -------
    dict[str, polars.DataFrame]
        One frame per split with the cleaned columns plus ``is_ad``, ``vertical``, ``tags``,
        ``split``, ``cluster_id`` and ``label_source``.
    """
    rng = random.Random(seed)
    channels = CHANNELS[: max(1, min(n_channels, len(CHANNELS)))]
    verticals = list(CATALOGUE)
    start = datetime(2024, 1, 1, 8, tzinfo=UTC)
    rows = []
    kinds = ["Ad"] * n_ads + ["Non-Ad"] * n_non_ads
    rng.shuffle(kinds)
    for i, kind in enumerate(kinds):
        ch = i % len(channels)
        handle = f"shop_{ch}_et"
        if kind == "Ad":
            vertical = verticals[rng.randrange(len(verticals))]
            fields = _ad(rng, vertical, handle)
        else:
            vertical = None
            text = " ".join(rng.sample(NEWS, k=2))
            fields = {"text": text, "phones": [], "prices": [], "mentions": [], "emojis": [],
                      "tags": ["Politics"] if "መንግስት" in text else []}
        text = str(fields["text"])
        clean = _clean(text, list(fields["emojis"]), list(fields["mentions"]))  # type: ignore[arg-type]
        ethiopic = sum(0x1200 <= ord(c) <= 0x137F for c in text)
        rows.append({
            "uid": f"{1000 + ch}:{i + 1}",
            "channel_id": 1000 + ch,
            "channel_name": channels[ch],
            "message_id": i + 1,
            "date": start + timedelta(hours=6 * i),
            "text": text,
            "text_clean": clean,
            "text_norm": clean.lower(),
            "hashtags": [],
            "mentions": fields["mentions"],
            "links": [],
            "emojis": fields["emojis"],
            "phones": fields["phones"],
            "prices": fields["prices"],
            "ethiopic_ratio": ethiopic / max(1, len(text.replace(" ", ""))),
            "n_chars": len(text),
            "is_empty": False,
            "is_ad": kind,
            "vertical": vertical,
            "tags": fields["tags"],
            "cluster_id": i,
            "label_source": "single",
        })
    order = list(range(len(rows)))
    rng.shuffle(order)
    n = len(order)
    cut = {"train": order[: int(n * 0.7)], "val": order[int(n * 0.7): int(n * 0.85)],
           "test": order[int(n * 0.85):]}
    schema = {
        "date": pl.Datetime("us", "UTC"), "hashtags": pl.List(pl.Utf8), "mentions": pl.List(pl.Utf8),
        "links": pl.List(pl.Utf8), "emojis": pl.List(pl.Utf8), "phones": pl.List(pl.Utf8),
        "prices": pl.List(pl.Float64), "tags": pl.List(pl.Utf8), "vertical": pl.Utf8,
    }
    out = {}
    for split, idx in cut.items():
        frame = pl.DataFrame([rows[i] for i in sorted(idx)], schema_overrides=schema, strict=False)
        out[split] = frame.with_columns(pl.lit(split).alias("split"))
    return out


def write_synthetic_splits(data_dir: Path, **kwargs: int) -> Path:
    """Write :func:`synthetic_splits` as ``DIR/curated/splits/`` plus ``DIR/cleaned/messages.parquet``.

    Returns
    -------
    Path
        The splits folder (with a ``manifest.json`` carrying a ``label_snapshot_id``).
    """
    splits = synthetic_splits(**kwargs)
    folder = data_dir / "curated" / "splits"
    outputs = {}
    for name, frame in splits.items():
        path = folder / f"{name}.parquet"
        write_parquet_atomic(path, frame)
        outputs[path.name] = {"rows": frame.height, "sha256": sha256_file(path)}
    manifest = build_manifest(
        "curated-splits", inputs=[], outputs=outputs, config={"synthetic": dict(kwargs)},
        extra={"label_snapshot_id": f"synthetic-{kwargs.get('seed', 0)}"},
    )
    write_json_atomic(folder / "manifest.json", manifest)
    cleaned = pl.concat(list(splits.values()), how="diagonal_relaxed").drop(
        "is_ad", "vertical", "tags", "split", "cluster_id", "label_source"
    )
    write_parquet_atomic(data_dir / "cleaned" / "messages.parquet", cleaned.sort("date"))
    return folder
