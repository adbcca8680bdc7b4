"""Ethiopic script share: Ethiopic letters among all letters of a text.

An Amharic ad model that drifts into Latin transliteration or English keeps fluent-looking
scores on some metrics; this one shows it. Letters are Unicode letters (category L*) plus Ethiopic
combining marks; Ethiopic letters are those in the Ethiopic blocks (U+1200-137F, U+1380-139F,
U+2D80-2DDF, U+AB00-AB2F). Digits, punctuation (Ethiopic ፡ ። included), spaces and emojis count
for neither side.
"""

import unicodedata

import datasets
import evaluate

_RANGES = ((0x1200, 0x137F), (0x1380, 0x139F), (0x2D80, 0x2DDF), (0xAB00, 0xAB2F))

_DESCRIPTION = "Share of Ethiopic letters among all letters, per prediction and pooled."

_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str): texts.
Returns:
    score (float): Ethiopic letters / letters over all predictions pooled (NaN without letters).
    scores (list of float): the same per prediction (NaN for a text without letters).
Examples:
    >>> m = evaluate.load("eval/metrics/ethiopic_share")
    >>> m.compute(predictions=["ጫማ abc 123 ።"])["scores"]
    [0.4]
"""


def is_ethiopic(char):
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in _RANGES)


def is_letter(char):
    return unicodedata.category(char).startswith("L") or (0x135D <= ord(char) <= 0x135F)


def counts(text):
    letters = [c for c in text if is_letter(c)]
    return sum(is_ethiopic(c) for c in letters), len(letters)


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class EthiopicShare(evaluate.Metric):
    """Ethiopic letters / letters."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string")}),
        )

    def _compute(self, predictions):
        pairs = [counts(text) for text in predictions]
        scores = [e / n if n else float("nan") for e, n in pairs]
        total = sum(n for _, n in pairs)
        score = sum(e for e, _ in pairs) / total if total else float("nan")
        return {"score": score, "scores": scores}
