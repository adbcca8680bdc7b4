"""Length of generated texts: characters and words, and the ratio to the reference.

Characters are Unicode code points after trimming the ends (what Telegram counts against its
4096 / 1024 limits is UTF-16 units; an Ethiopic letter is one unit either way). Words are
whitespace-separated tokens. With ``reference_texts``, ``ratio`` is prediction characters /
reference characters: far below 1 is a truncated ad, far above 1 a rambling one.
"""

import datasets
import evaluate

_DESCRIPTION = "Characters and words per prediction; ratio to the reference when given."

_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str): texts.
    reference_texts (list of str, optional): one reference per prediction (not named
        `references`: evaluate drops that name when it is not a feature).
Returns:
    score (float): mean characters per prediction.
    scores (list of int): characters per prediction.
    words (list of int): whitespace words per prediction.
    ratio (list of float): prediction / reference characters (only with reference_texts; NaN for an
        empty reference).
    mean_ratio (float): mean of ratio (only with reference_texts).
Examples:
    >>> m = evaluate.load("eval/metrics/length")
    >>> m.compute(predictions=[" ጫማ በቅናሽ "], reference_texts=["ጫማ"])["ratio"]
    [3.5]
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Length(evaluate.Metric):
    """Characters, words and length ratio."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            # reference_texts is a plain keyword argument: the ratio is optional.
            features=datasets.Features({"predictions": datasets.Value("string")}),
        )

    def _compute(self, predictions, reference_texts=None):
        chars = [len(p.strip()) for p in predictions]
        out = {"score": sum(chars) / len(chars) if chars else float("nan"), "scores": chars,
               "words": [len(p.split()) for p in predictions]}
        if reference_texts is not None:
            ratio = [c / len(r.strip()) if r.strip() else float("nan")
                     for c, r in zip(chars, reference_texts, strict=True)]
            finite = [x for x in ratio if x == x]
            out["ratio"] = ratio
            out["mean_ratio"] = sum(finite) / len(finite) if finite else float("nan")
        return out
