"""What raters read in Label Studio: project titles, the instructions, and the brief as its fields.

Label Studio shows a project's ``expert_instruction`` (HTML) before the first task when
``show_instruction`` is set, and behind the "Instructions" button afterwards. The instructions
say what each criterion means and show one good and one bad Amharic ad for the same brief, so
raters who never saw the project anchor their scores the same way.

Examples
--------
>>> print(human_brief({"fields": {"brand": "Abebe Shoes", "product": "የቆዳ ጫማ",
...                               "offer": "20% ቅናሽ", "call_to_action": "ይደውሉ",
...                               "contact": {"phone": "0911223344"},
...                               "target_channel": "Sheger", "vertical": "Retail"}}))
Brand / ብራንድ: Abebe Shoes
Product / ምርት: የቆዳ ጫማ
Offer / ቅናሽ: 20% ቅናሽ
Call to action / ጥሪ: ይደውሉ
Contact / አድራሻ: 0911223344
Channel / ቻናል: Sheger
Industry / ዘርፍ: Retail
"""

from __future__ import annotations

from html import escape
from typing import Any

from workbench.evaluation.agreement import LIKERT_CRITERIA

#: The header above each Likert scale (the scale's meaning in one line).
CRITERIA_HELP = {
    "fluency": "Fluency: reads as natural, grammatical Amharic (1 = broken, 5 = native)",
    "relevance": "Relevance: advertises what the brief asks: product, brand, contacts, offer",
    "catchiness": "Catchiness: would make a reader stop and act (1 = dull, 5 = compelling)",
    "amharic": "Amharic correctness: spelling, script and word choice (1 = many errors, 5 = none)",
}

#: What a score means per criterion, for the instructions (low end, high end).
_CRITERIA_DETAIL = {
    "fluency": ("Does the ad read like something an Amharic speaker wrote? Score the flow of the "
                "sentences, not the facts: a 1 is broken or repeats itself, a 5 reads as native."),
    "relevance": ("Is it an ad for <b>this</b> brief? It names the brand and product, carries "
                  "the offer and at least one of the contacts, and asks for the action the brief "
                  "wants. Another product, a missing phone number or an invented price lower "
                  "the score."),
    "catchiness": ("Would a reader scrolling a Telegram channel stop and act? A clear offer, a "
                   "strong first line and a clear call to action score high; a dull list of "
                   "words scores low. Judge it as a marketer would."),
    "amharic": ("Spelling, Ge'ez script and word choice: a 5 has no errors, a 1 has many "
                "(wrong letters, Latin transliteration where Amharic is expected, "
                "invented words)."),
}

EXAMPLE_BRIEF = {
    "fields": {"brand": "Abebe Shoes", "product": "የቆዳ ጫማ", "offer": "20% ቅናሽ እስከ እሁድ",
               "call_to_action": "ዛሬውኑ ይደውሉ", "contact": {"phone": "0911 22 33 44",
                                                         "handle": "@abebeshoes"},
               "target_channel": "Sheger Gebeya", "vertical": "Retail"},
}
GOOD_AD = ("🔥 አበበ ጫማ ቤት ልዩ ቅናሽ! 🔥\n"
           "ጥራት ያላቸው የቆዳ ጫማዎች በ20% ቅናሽ እስከ እሁድ ብቻ።\n"
           "ለወንዶችም ለሴቶችም ሁሉም መጠኖች አሉ።\n"
           "ዛሬውኑ ይደውሉ፦ 0911 22 33 44\n"
           "Telegram: @abebeshoes")
BAD_AD = ("ጫማ ጫማ ጫማ በቅናሽ በቅናሽ በቅናሽ። ምርጥ ቴሌቪዥን በ5000 ብር ይግዙ!!! "
          "ለበለጠ መረጃ ይጎብኙ")

#: Brief fields in the order raters read them: (label, Brief field).
_FIELDS = (("Brand / ብራንድ", "brand"), ("Product / ምርት", "product"),
           ("Offer / ቅናሽ", "offer"), ("Call to action / ጥሪ", "call_to_action"),
           ("Contact / አድራሻ", "contact"), ("Channel / ቻናል", "target_channel"),
           ("Industry / ዘርፍ", "vertical"))


def _contact_text(contact: Any) -> str:
    if isinstance(contact, dict):
        pieces = [contact.get(k) for k in ("phone", "handle", "link", "short_code")]
        return " / ".join([p for p in pieces if p] + list(contact.get("others") or []))
    return str(contact or "")


def human_brief(brief: dict[str, Any], *, first_half: str | None = None) -> str:
    """The brief as a rater reads it: one field per line (never the model prompt).

    Parameters
    ----------
    brief
        An item's brief JSON (``generations.parquet`` ``brief``): ``fields`` holds the
        :class:`~workbench.core.briefs.Brief` the item was built from; an evaluation made before
        that key existed falls back to the brand, product, prices, CTA and contacts it recorded.
    first_half
        A ``half_continuation`` item's first half: shown with the channel and industry instead
        of brief fields (that task's "brief" is the start of the ad).

    Returns
    -------
    str
        ``Label: value`` lines; ``—`` where the brief leaves a field open.
    """
    if first_half is not None:
        lines = [f"Channel / ቻናል: {brief.get('channel') or '—'}",
                 f"Industry / ዘርፍ: {brief.get('vertical') or '—'}",
                 "Beginning of the ad (the ad continues it) / የማስታወቂያው መጀመሪያ:", first_half]
        return "\n".join(lines)
    fields = brief.get("fields")
    if fields is None:  # an evaluation from before the brief's fields were recorded
        fields = {"brand": brief.get("brand") or "",
                  "product": " ".join(brief.get("product") or []),
                  "offer": ", ".join(brief.get("prices") or []),
                  "call_to_action": ", ".join(g[0] for g in brief.get("cta") or [] if g),
                  "contact": {"others": list(brief.get("contacts") or [])},
                  "target_channel": brief.get("channel") or "",
                  "vertical": brief.get("vertical") or ""}
    values = {name: _contact_text(fields.get(name)) if name == "contact"
              else str(fields.get(name) or "") for _, name in _FIELDS}
    return "\n".join(f"{label}: {values[name] or '—'}" for label, name in _FIELDS)


def project_title(kind: str, eval_id: str, stamp: str, max_chars: int) -> str:
    """A title saying what raters do, then the evaluation, then the push time where it fits.

    Never cut in the action: a long evaluation id loses its start (the suite name), keeping the
    time and random tail that make it unique. ``kind``: ``likert`` or ``pairwise``; ``stamp``:
    when the push happened (``MMDD-HHMM``).

    Examples
    --------
    >>> project_title("pairwise", "demo-20261204-142000-ab12", "1204-1420", 50)
    'Pick the better ad · demo-20261204-142000-ab12'
    >>> project_title("likert", "ratings-abc123", "1204-1420", 50)
    'Score ads 1-5 · ratings-abc123 · 1204-1420'
    """
    action = "Score ads 1-5" if kind == "likert" else "Pick the better ad"
    room = max_chars - len(action) - 3
    if room < 8:
        return action[:max_chars]
    tag = eval_id if len(eval_id) <= room else "…" + eval_id[-(room - 1):]
    title = f"{action} · {tag}"
    with_stamp = f"{title} · {stamp}"
    return with_stamp if len(with_stamp) <= max_chars else title


def _example_block() -> str:
    brief = escape(human_brief(EXAMPLE_BRIEF)).replace("\n", "<br>")
    good = escape(GOOD_AD).replace("\n", "<br>")
    bad = escape(BAD_AD).replace("\n", "<br>")
    return (f"<h3>Example</h3><p><b>Brief</b><br>{brief}</p>"
            f"<p><b>A good ad</b> (fluency 5, relevance 5, catchiness 4, Amharic 5): brand, "
            f"product, offer, phone and handle, a clear call to action, natural Amharic.<br>"
            f'<span lang="am">{good}</span></p>'
            f"<p><b>A bad ad</b> (fluency 1, relevance 1, catchiness 1, Amharic 3): the same "
            f"words repeated, another product (a TV) with an invented price, no brand and no "
            f'contact.<br><span lang="am">{bad}</span></p>')


def likert_instructions() -> str:
    """``expert_instruction`` HTML of the Likert project."""
    items = "".join(f"<li><b>{escape(CRITERIA_HELP[c].split(':')[0])}</b>: {_CRITERIA_DETAIL[c]}"
                    f"</li>" for c in LIKERT_CRITERIA)
    return ("<h2>Score each ad 1-5 on four criteria</h2>"
            "<p>Each task shows a campaign brief and one Telegram ad written for it. Read the "
            "brief, then the ad, and score the ad on each criterion from 1 (worst) to 5 (best). "
            "Score each criterion on its own: a fluent ad for the wrong product is still fluent. "
            "Ads come from different writers in random order; do not guess who wrote one.</p>"
            f"<ul>{items}</ul>{_example_block()}")


def pairwise_instructions() -> str:
    """``expert_instruction`` HTML of the pairwise project."""
    return ("<h2>Which ad would you rather publish?</h2>"
            "<p>Each task shows a campaign brief and two Telegram ads written for it. Click the "
            "ad you would rather publish in the brief's channel for this advertiser. Weigh "
            "everything together: natural Amharic, whether it advertises what the brief asks "
            "(brand, product, offer, contact, call to action) and whether readers would act on "
            "it. Tick <i>Equally good or bad</i> only when you truly cannot choose. Left and "
            "right are drawn at random.</p>"
            f"<ul>{''.join(f'<li>{d}</li>' for d in _CRITERIA_DETAIL.values())}</ul>"
            f"{_example_block()}<p>Given these two, pick the good one.</p>")
