"""Seeded synthetic Amharic ad corpora with known labels, for the curation tests and benchmark.

The generator writes Telegram-like messages from small Amharic vocabularies (one per vertical,
news, tags, filler), mixes the class signal with words of other classes so a classifier is good
but not perfect, spells words with Ge'ez homophone variants, and can repost earlier messages with
small edits (the dedup case). Messages go through the real ingest cleaning, so the frame has every
``cleaned/messages.parquet`` column and a genuine ``text_norm``.

Examples
--------
>>> corpus = make_corpus(50, seed=1)
>>> corpus.messages.height, corpus.truth.columns
(50, ['uid', 'is_ad', 'vertical', 'tags'])
>>> noisy, flipped = flip_labels(corpus.truth, rate=0.1, seed=0, tasks=("is_ad",))
>>> len(flipped["is_ad"])
5
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from workbench.core.schemas import PARSED_SCHEMA

VERTICAL_WORDS: dict[str, list[str]] = {
    "Retail": ["ልብስ", "ጫማ", "ሱቅ", "ቦርሳ", "ሶፋ", "አልጋ", "ምንጣፍ", "ጌጣጌጥ", "ሽያጭ", "ገበያ",
               "ቀሚስ", "ሱሪ", "ጃኬት", "ኮት", "የቤት እቃ", "መጋረጃ", "ወንበር", "ጠረጴዛ"],
    "Automotive": ["መኪና", "ጎማ", "ሞተር", "ባጃጅ", "መለዋወጫ", "ጋራዥ", "ሹፌር", "መንጃ ፈቃድ",
                   "ቶዮታ", "ሀይሉክስ", "ባትሪ", "ፍሬን", "ሞተር ሳይክል", "ቪትዝ", "Toyota", "ካምቢዮ"],
    "Financial services": ["ባንክ", "ብድር", "ቁጠባ", "ወለድ", "ኢንሹራንስ", "ቴሌብር", "ሂሳብ",
                           "አክሲዮን", "ኢንቨስትመንት", "ማይክሮ ፋይናንስ", "ክፍያ", "ገንዘብ ማስተላለፍ",
                           "ዲያስፖራ", "ኤቲኤም", "ካርድ", "ቼክ"],
    "Telecom": ["ኢትዮ ቴሌኮም", "ሳፋሪኮም", "ጥቅል", "ኢንተርኔት", "ዳታ", "ሲም ካርድ", "የአየር ሰዓት",
                "ደቂቃ", "ኔትወርክ", "ዋይፋይ", "4ጂ", "ጥሪ", "ኤስኤምኤስ", "ብሮድባንድ", "ሞባይል"],
    "CPG & consumer products": ["ሳሙና", "ዘይት", "ዱቄት", "ውሃ", "ለስላሳ", "ቢራ", "ቡና", "ሻይ",
                                "ክሬም", "ሽቶ", "ሻምፖ", "ብስኩት", "ማር", "ፓስታ", "ሩዝ", "ስኳር"],
    "Travel": ["አየር መንገድ", "በረራ", "ትኬት", "ሆቴል", "ጉብኝት", "ቪዛ", "ሪዞርት", "ጉዞ",
               "ፓስፖርት", "ላሊበላ", "ጎንደር", "አክሱም", "እረፍት", "ዱባይ", "ሎጅ", "ቱር"],
    "Computing products & consumer electronics": [
        "ስልክ", "ላፕቶፕ", "ኮምፒውተር", "ቴሌቪዥን", "ሳምሰንግ", "አይፎን", "ቻርጀር", "ጥገና",
        "ሶፍትዌር", "ታብሌት", "ኤርፖድ", "ስክሪን", "iPhone", "Samsung", "ፍላሽ", "ፕሪንተር"],
    "Media": ["ቻናል", "ይቀላቀሉ", "ሰብስክራይብ", "መጽሔት", "ሬዲዮ", "ፕሮግራም", "መጽሐፍ", "ዩቲዩብ",
              "ፖድካስት", "ቴሌግራም", "ጋዜጣ", "ተከታታይ", "ክፍል", "ቃለ መጠይቅ"],
    "Entertainment": ["ኮንሰርት", "ሲኒማ", "ፊልም", "ሙዚቃ", "ድግስ", "ክለብ", "ትርኢት", "ፌስቲቫል",
                      "አርቲስት", "ምሽት", "ዲጄ", "ባንድ", "ቲያትር", "ኮሜዲ"],
    "Healthcare & pharma": ["ክሊኒክ", "ሆስፒታል", "ፋርማሲ", "መድሃኒት", "ሐኪም", "ምርመራ", "ጤና",
                            "የጥርስ", "ላብራቶሪ", "ሕክምና", "ቫይታሚን", "ነርስ", "አልትራሳውንድ", "ክትባት"],
}

#: Words of any ad: calls to action, prices, delivery.
AD_WORDS = ["ይደውሉ", "አድራሻ", "ዋጋ", "ቅናሽ", "ያግኙን", "ይዘዙ", "ነፃ", "ማድረስ", "ልዩ", "አሁኑኑ",
            "ውስን", "ቅርንጫፍ", "ይጎብኙ", "ጥራት", "ዋስትና", "በቅናሽ", "እንኳን ደስ አለዎ", "ኦርጅናል"]

#: Words of news, sport and everything else.
NEWS_WORDS = ["ዜና", "መንግስት", "ፖሊስ", "ጠቅላይ ሚኒስትር", "ስብሰባ", "ክልል", "ከተማ", "ተማሪዎች",
              "ዩኒቨርሲቲ", "ዝናብ", "አደጋ", "ሪፖርት", "ስፖርት", "እግር ኳስ", "ቡድን", "ግብ", "አሸነፈ",
              "ፍርድ ቤት", "ኮሚሽን", "መግለጫ", "ነዋሪዎች", "ትምህርት", "ጦርነት", "ሰላም", "ድርቅ",
              "ሚኒስቴር", "ምክር ቤት", "ውድድር", "ሊግ", "ተጫዋች"]

#: Words every kind of message uses.
FILLER = ["እና", "ነው", "ውስጥ", "ላይ", "ጋር", "ይህ", "ሁሉም", "ብዙ", "አንድ", "ሁለት", "ሰዎች",
          "ጊዜ", "ቀን", "ሳምንት", "ወር", "ዓመት", "ዛሬ", "ነገ", "አዲስ", "አበባ", "ኢትዮጵያ", "ብቻ",
          "ደግሞ", "ግን", "ከዚህ", "በፊት", "በኋላ", "ሀገር", "ህዝብ", "ስራ", "ጥሩ", "ትልቅ"]

TAG_WORDS: dict[str, list[str]] = {
    "Gambling": ["ውርርድ", "ቤቲንግ", "ሎተሪ", "ዕድል", "አሸናፊ", "ጃክፖት", "ቢንጎ", "ኦድ"],
    "Politics": ["ምርጫ", "ፓርቲ", "ፓርላማ", "ፖሊሲ", "ተቃዋሚ", "ፖለቲካ", "ዕጩ", "ድምፅ"],
    "Profanity": ["ደደብ", "ቆሻሻ", "ሞኝ", "ጅል", "ውሸታም", "ባለጌ"],
    "Religious": ["ቤተክርስቲያን", "መስጊድ", "ፀሎት", "በዓል", "ገና", "ረመዳን", "መስቀል", "ቅዱስ"],
}

VERTICALS = list(VERTICAL_WORDS)
TAGS = list(TAG_WORDS)
_VERTICAL_WEIGHTS = np.array([0.22, 0.1, 0.1, 0.1, 0.12, 0.06, 0.12, 0.06, 0.06, 0.06])
_EMOJIS = ["🔥", "📞", "✅", "👉", "🎉", "💯", "📍", "⚡", "🛒", "🚗"]
_CHANNELS = ["Addis Deals", "ሸገር ገበያ", "Ethio Market", "ቴክ ዜና", "Habesha Shop", "ዳጉ ስፖርት",
             "አዲስ ነገር", "Bole Cars", "ጤና ይስጥልኝ", "Ethio Travel", "ሸማች", "Merkato Online",
             "ኢትዮ መረጃ", "YeneTube", "Sheger Press", "ቤተሰብ", "Adama Store", "ሀዋሳ ገበያ",
             "Tech Ethiopia", "ቡና ቤት", "Gondar News", "ባህር ዳር", "Dire Market", "መቀሌ", "Jimma Hub"]

# Homophone series (first code point) a unified letter may be written in; text_norm undoes it.
_VARIANT_SERIES = {0x1200: (0x1210, 0x1280), 0x1230: (0x1220,), 0x12A0: (0x12D0,),
                   0x1340: (0x1338,)}


@dataclass(frozen=True)
class SyntheticCorpus:
    """A generated corpus.

    Attributes
    ----------
    messages
        ``(n, ...)`` frame with every ``cleaned/messages.parquet`` column.
    truth
        ``(n, 4)`` frame: ``uid``, ``is_ad`` ("Ad"/"Non-Ad"), ``vertical`` (null for non-ads),
        ``tags`` (list; null for non-ads).
    reposts
        ``(r, 2)`` frame: ``uid`` of a repost and ``source_uid`` of the message it copies.
    """

    messages: pl.DataFrame
    truth: pl.DataFrame
    reposts: pl.DataFrame


def _variant_spelling(word: str, rng: np.random.Generator) -> str:
    """Write unified homophone letters of ``word`` in another series of the same sound."""
    out = []
    for ch in word:
        code = ord(ch)
        base, order = code - (code - 0x1200) % 8, (code - 0x1200) % 8
        if base in _VARIANT_SERIES and order < 7 and rng.random() < 0.7:
            series = _VARIANT_SERIES[base]
            out.append(chr(series[rng.integers(len(series))] + order))
        else:
            out.append(ch)
    return "".join(out)


def _phone(rng: np.random.Generator) -> str:
    digits = "".join(str(d) for d in rng.integers(0, 10, 8))
    return f"09{digits[:2]} {digits[2:5]} {digits[5:]}"


def _message_words(
    rng: np.random.Generator, is_ad: bool, vertical: str | None, tags: Sequence[str],
    *, signal: float, confusion: float, tag_noise: float,
) -> list[str]:
    length = int(rng.integers(10, 36))
    # One draw per slot for the kind of word, one for the sub-choice, one for the index: the
    # generator stays fast enough for the 46,000-message benchmark.
    kind, sub = rng.random(length).tolist(), rng.random(length).tolist()
    pick = rng.integers(0, 1 << 30, length).tolist()
    other = rng.integers(0, len(VERTICALS), length).tolist()
    own = VERTICAL_WORDS[vertical] if is_ad and vertical is not None else None
    words: list[str] = []
    for u, s, k, o in zip(kind, sub, pick, other, strict=True):
        if u < signal:
            pool = (own if s < 0.6 else AD_WORDS) if own is not None else NEWS_WORDS
        elif u < signal + confusion:
            # Words of the other class: news about a company, an ad that mentions the news.
            if is_ad:
                pool = NEWS_WORDS if s < 0.5 else VERTICAL_WORDS[VERTICALS[o]]
            else:
                pool = AD_WORDS if s < 0.4 else VERTICAL_WORDS[VERTICALS[o]]
        else:
            pool = FILLER
        words.append(pool[k % len(pool)])
    for tag in TAGS:
        if tag in tags:
            n = int(rng.integers(2, 4))
        elif rng.random() < tag_noise:
            n = 1
        else:
            continue
        for _ in range(n):
            pool = TAG_WORDS[tag]
            words.insert(int(rng.integers(0, len(words) + 1)), pool[rng.integers(len(pool))])
    return words


def _render(words: list[str], rng: np.random.Generator, is_ad: bool) -> str:
    variant = rng.random(len(words)) < 0.2
    words = [_variant_spelling(w, rng) if v else w for w, v in zip(words, variant, strict=True)]
    text = " ".join(words)
    if rng.random() < (0.6 if is_ad else 0.08):
        text += f" {int(rng.integers(1, 500)) * 50:,} ብር"
    if rng.random() < (0.7 if is_ad else 0.05):
        text += f" ☎ {_phone(rng)}"
    if rng.random() < (0.5 if is_ad else 0.15):
        text = f"{_EMOJIS[rng.integers(len(_EMOJIS))]} {text}"
    return text


def repost_edit(text: str, rng: np.random.Generator) -> str:
    """A repost: the same message with one or two small edits.

    Each edit drops a word, inserts a filler word, respells a word with homophone letters or
    appends an emoji (the benchmark of ``curate dedup`` also applies it to real texts).
    """
    words = text.split(" ")
    for _ in range(int(rng.integers(1, 3))):
        op = rng.integers(4)
        i = int(rng.integers(len(words)))
        if op == 0 and len(words) > 4:
            del words[i]
        elif op == 1:
            words.insert(i, FILLER[rng.integers(len(FILLER))])
        elif op == 2:
            words[i] = _variant_spelling(words[i], rng)
        else:
            words.append(_EMOJIS[rng.integers(len(_EMOJIS))])
    return " ".join(words)


def make_corpus(
    n: int,
    *,
    seed: int = 0,
    n_channels: int = 25,
    ad_share: float = 0.45,
    repost_share: float = 0.0,
    tag_rate: float = 0.12,
    difficulty: float = 0.5,
) -> SyntheticCorpus:
    """Generate ``n`` labeled messages.

    Parameters
    ----------
    n
        Number of messages.
    seed
        Everything is a function of the seed.
    n_channels
        Channels the messages are spread over (at most 25 names; ids 1001..).
    ad_share
        Mean share of ads; each channel draws its own share around it.
    repost_share
        Share of messages that copy an earlier message (often from another channel) with a
        few small edits and the same labels.
    tag_rate
        Probability of each tag on an ad.
    difficulty
        0 = clean class signal, 1 = very mixed; a classifier reaches roughly 0.97 to 0.8
        accuracy on ``is_ad`` over that range.

    Returns
    -------
    SyntheticCorpus
        Messages (cleaned schema), true labels and the repost pairs.
    """
    from workbench.ingest.clean import clean_messages

    if not 1 <= n_channels <= len(_CHANNELS):
        msg = f"n_channels must be in 1..{len(_CHANNELS)}, got {n_channels}"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    channel_ad_share = np.clip(rng.normal(ad_share, 0.15, n_channels), 0.05, 0.95)
    channel_of = rng.integers(0, n_channels, n)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    span = timedelta(days=730).total_seconds()
    next_id = np.zeros(n_channels, dtype=np.int64)
    # Drawn up front: rng.choice with p= validates p on every call, which dominated the loop.
    vertical_of = rng.choice(len(VERTICALS), size=n, p=_VERTICAL_WEIGHTS)

    rows: list[dict[str, object]] = []
    truth: list[dict[str, object]] = []
    reposts: list[tuple[str, str]] = []
    for i in range(n):
        c = int(channel_of[i])
        next_id[c] += 1
        cid = 1001 + c
        uid = f"{cid}:{int(next_id[c])}"
        when = start + timedelta(seconds=span * (i + rng.random()) / n)
        if i > 0 and rng.random() < repost_share:
            j = int(rng.integers(max(0, i - 2000), i))
            text = repost_edit(str(rows[j]["text"]), rng)
            label = dict(truth[j], uid=uid)
            reposts.append((uid, str(rows[j]["uid"])))
        else:
            is_ad = bool(rng.random() < channel_ad_share[c])
            vertical = VERTICALS[int(vertical_of[i])] if is_ad else None
            tags = []
            if is_ad:
                rates = np.full(len(TAGS), tag_rate)
                if vertical == "Entertainment":
                    rates[0] = min(1.0, 3 * tag_rate)  # betting promos are Entertainment ads
                tags = [t for t, r in zip(TAGS, rates, strict=True) if rng.random() < r]
            # A per-message clarity makes some items genuinely hard, as real posts are.
            signal = rng.uniform(0.12, 0.5) * (1.2 - 0.7 * difficulty)
            confusion = rng.uniform(0.0, 0.35) * (0.3 + difficulty)
            words = _message_words(rng, is_ad, vertical, tags, signal=signal, confusion=confusion,
                                   tag_noise=0.04 * (0.5 + difficulty))
            text = _render(words, rng, is_ad)
            label = {"uid": uid, "is_ad": "Ad" if is_ad else "Non-Ad", "vertical": vertical,
                     "tags": tags if is_ad else None}
        rows.append({"uid": uid, "channel_id": cid, "channel_name": _CHANNELS[c],
                     "message_id": int(next_id[c]), "date": when, "text": text})
        truth.append(label)

    parsed = pl.DataFrame(rows).with_columns(
        channel_type=pl.lit("public_channel"), edited=pl.lit(None), sender=pl.col("channel_name"),
        sender_id=pl.format("channel{}", pl.col("channel_id")), author=pl.lit(None),
        forwarded_from=pl.lit(None), reply_to=pl.lit(None), media_type=pl.lit(None),
        entities=pl.lit(None), source=pl.lit("synthetic"), source_sha256=pl.lit("0" * 64),
    ).select([pl.col(k).cast(v) for k, v in PARSED_SCHEMA.items()])
    messages = clean_messages(parsed)
    truth_df = pl.DataFrame(truth, schema={"uid": pl.Utf8, "is_ad": pl.Utf8, "vertical": pl.Utf8,
                                           "tags": pl.List(pl.Utf8)})
    reposts_df = pl.DataFrame(reposts, schema={"uid": pl.Utf8, "source_uid": pl.Utf8}, orient="row")
    return SyntheticCorpus(messages, truth_df, reposts_df)


def _labels_of(task: str) -> list[str]:
    return {"is_ad": ["Ad", "Non-Ad"], "vertical": VERTICALS, "tags": TAGS}[task]


def flip_labels(
    truth: pl.DataFrame,
    *,
    rate: float,
    seed: int,
    tasks: Iterable[str] = ("is_ad", "vertical", "tags"),
) -> tuple[pl.DataFrame, dict[str, set[str]]]:
    """Replace the label of ``rate`` of the items of each task by a wrong one, at known rows.

    Single-choice tasks get another label drawn uniformly; ``tags`` get one tag toggled. Only
    items where the task applies are eligible (vertical and tags of ads). ``is_ad`` flips leave
    vertical and tags as they were, so the other tasks' truth stays measurable.

    Parameters
    ----------
    truth
        ``(n, 4)`` frame as :attr:`SyntheticCorpus.truth`.
    rate
        Share of eligible items flipped per task.
    seed
        Seed of the choice of rows and wrong labels.
    tasks
        Which tasks to corrupt.

    Returns
    -------
    tuple
        The noisy frame (same shape) and, per task, the set of flipped uids.
    """
    rng = np.random.default_rng(seed)
    noisy = truth.clone()
    flipped: dict[str, set[str]] = {}
    for task in tasks:
        col = noisy.get_column(task).to_list()
        eligible = [i for i, v in enumerate(col) if v is not None]
        chosen = rng.choice(eligible, size=round(rate * len(eligible)), replace=False)
        labels = _labels_of(task)
        for i in chosen:
            if task == "tags":
                tag = labels[rng.integers(len(labels))]
                current = list(col[i])
                col[i] = [t for t in current if t != tag] if tag in current else sorted(
                    [*current, tag], key=labels.index)
            else:
                others = [lab for lab in labels if lab != col[i]]
                col[i] = others[rng.integers(len(others))]
        noisy = noisy.with_columns(pl.Series(task, col, dtype=truth.schema[task]))
        uids = noisy.get_column("uid")
        flipped[task] = {uids[int(i)] for i in chosen}
    return noisy, flipped


def annotations_from_labels(
    labels: pl.DataFrame,
    *,
    annotator: str,
    project: str = "synthetic",
    tasks: Sequence[str] = ("is_ad", "vertical", "tags"),
    when: datetime | None = None,
) -> pl.DataFrame:
    """Long-format annotations (the ``labels/annotations.parquet`` contract) from a wide frame.

    Null cells (a task that does not apply) produce no row; an ad without tags gets an explicit
    empty tags answer, as the labeling UI stores it.
    """
    when = when or datetime(2024, 6, 1, tzinfo=UTC)
    parts = []
    for task in tasks:
        col = pl.col(task)
        value = col if labels.schema[task] == pl.List(pl.Utf8) else pl.concat_list(col)
        parts.append(
            labels.filter(col.is_not_null()).select(
                "uid", pl.lit(task).alias("task"), value.alias("value"))
        )
    long = pl.concat(parts, how="vertical")
    return long.with_columns(
        project=pl.lit(project), annotator=pl.lit(annotator), lead_time=pl.lit(5.0),
        created_at=pl.lit(when, dtype=pl.Datetime("us", "UTC")),
        updated_at=pl.lit(when, dtype=pl.Datetime("us", "UTC")),
    ).with_columns(
        annotation_id=pl.format("{}-{}-{}", pl.col("annotator"), pl.col("uid"), pl.col("task"))
    ).select("uid", "project", "task", "annotator", "value", "lead_time", "created_at",
             "updated_at", "annotation_id")


def simulate_annotators(
    truth: pl.DataFrame,
    accuracy: Mapping[str, float],
    *,
    per_item: int,
    seed: int,
    task: str = "is_ad",
) -> pl.DataFrame:
    """Annotations of one single-choice task by several annotators of known accuracy.

    Each item gets ``per_item`` distinct annotators drawn uniformly; an annotator answers the
    true label with probability ``accuracy[name]``, else a uniformly drawn wrong label.

    Returns
    -------
    pl.DataFrame
        Long-format annotations of ``task`` (the annotations contract).
    """
    rng = np.random.default_rng(seed)
    names = list(accuracy)
    if not 1 <= per_item <= len(names):
        msg = f"per_item must be in 1..{len(names)}, got {per_item}"
        raise ValueError(msg)
    labels = _labels_of(task)
    rows = []
    for uid, true in truth.select("uid", task).filter(pl.col(task).is_not_null()).iter_rows():
        for a in rng.choice(len(names), size=per_item, replace=False):
            name = names[int(a)]
            answer = true
            if rng.random() > accuracy[name]:
                others = [lab for lab in labels if lab != true]
                answer = others[rng.integers(len(others))]
            rows.append({"uid": uid, task: answer, "annotator": name})
    frame = pl.DataFrame(rows)
    return pl.concat([
        annotations_from_labels(frame.filter(pl.col("annotator") == name).drop("annotator"),
                                annotator=name, tasks=(task,))
        for name in names if frame.filter(pl.col("annotator") == name).height
    ])
