"""Brief coverage: does the ad carry what the brief asked for?

A brief (one JSON object per prediction, as a string) may give any of::

    {"brand": "Zara", "product": ["ጫማ"], "contacts": ["0911 22 33 44", "@shop_et"],
     "prices": ["1,200 ብር"], "cta": [["ይደውሉ", "call"], ["ይዘዙ", "order"]]}

Each field present in the brief is scored in [0, 1]: ``brand`` 1 when the brand is written;
``product`` the share of product words written; ``contact`` the share of contact details written
(a phone matches whatever spaces, dots or dashes separate its digits, and in 09.. or +251 9..
form); ``price`` the share of amounts written (thousands separators ignored); ``cta`` the share of
calls to action with at least one of their phrases present. Matching is case-insensitive
substring matching on the text as given: normalise homophones before calling if wanted.
An item's ``score`` is the mean of its applicable fields (NaN when the brief has none).
"""

import json
import re

import datasets
import evaluate

FIELDS = ("brand", "product", "contact", "price", "cta")

_SEP_BETWEEN_DIGITS = re.compile(r"(?<=\d)[ .\-](?=\d)")
_DIGIT_RUN = re.compile(r"\d+")

_DESCRIPTION = "Share of the brief's brand, product words, contacts, prices and CTAs in the ad."

_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str): generated ads.
    references (list of str): the brief of each prediction, as a JSON object string.
Returns:
    score (float): mean item score (NaN items left out).
    scores (list of float): per item, the mean of its applicable fields.
    brand, product, contact, price, cta (list of float): per item field scores (NaN: not in brief).
    field_means (dict): mean of each field over the items that have it.
"""


def national_digits(phone):
    """The 9-digit national number of an Ethiopian phone, else all its digits."""
    digits = re.sub(r"\D", "", phone)
    national = re.sub(r"^(?:251)?0?", "", digits, count=1)
    return national if len(national) == 9 else digits


def _squash_digits(text):
    # "0911 22-33.44" -> "0911223344", so a number matches however it is grouped.
    previous = None
    while previous != text:
        previous, text = text, _SEP_BETWEEN_DIGITS.sub("", text)
    return text


def contact_present(contact, text, squashed):
    if contact.startswith("@") or not re.search(r"\d", contact) or "/" in contact:
        return contact.casefold() in text
    wanted = national_digits(contact)
    return any(wanted in run for run in _DIGIT_RUN.findall(squashed))


def amount_present(price, squashed):
    amount = re.sub(r"[^\d.]", "", price.replace(",", "")).rstrip(".")
    if not amount:
        return price.casefold() in squashed
    runs = re.findall(r"\d[\d,]*(?:\.\d+)?", squashed)
    return any(r.replace(",", "") in (amount, amount.removesuffix(".0")) for r in runs)


def share(hits):
    return sum(hits) / len(hits) if hits else float("nan")


def coverage(prediction, brief):
    text = prediction.casefold()
    squashed = _squash_digits(text)
    out = {name: float("nan") for name in FIELDS}
    brand = brief.get("brand")
    if brand:
        out["brand"] = float(brand.casefold() in text)
    product = [w for w in brief.get("product") or [] if w]
    if product:
        out["product"] = share([w.casefold() in text for w in product])
    contacts = [c for c in brief.get("contacts") or [] if c]
    if contacts:
        out["contact"] = share([contact_present(c, text, squashed) for c in contacts])
    prices = [p for p in brief.get("prices") or [] if p]
    if prices:
        out["price"] = share([amount_present(p, squashed) for p in prices])
    ctas = [group for group in brief.get("cta") or [] if group]
    if ctas:
        groups = [[group] if isinstance(group, str) else group for group in ctas]
        out["cta"] = share([any(p.casefold() in text for p in group) for group in groups])
    applicable = [v for v in out.values() if v == v]
    out["score"] = share(applicable)
    return out


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class BriefCoverage(evaluate.Metric):
    """Brand, product, contact, price and call-to-action coverage."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions, references):
        rows = []
        for prediction, brief in zip(predictions, references, strict=True):
            try:
                parsed = json.loads(brief) if brief else {}
            except json.JSONDecodeError as exc:
                raise ValueError(f"brief is not a JSON object: {exc}") from None
            if not isinstance(parsed, dict):
                raise ValueError("brief is not a JSON object")
            rows.append(coverage(prediction, parsed))
        scores = [r["score"] for r in rows]
        out = {"scores": scores, "score": share([s for s in scores if s == s])}
        means = {}
        for name in FIELDS:
            column = [r[name] for r in rows]
            out[name] = column
            means[name] = share([v for v in column if v == v])
        out["field_means"] = means
        return out
