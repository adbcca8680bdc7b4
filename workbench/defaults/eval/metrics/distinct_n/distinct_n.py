"""distinct-n: the share of word n-grams that are unique (Li et al., 2016).

Two views: ``scores`` is each text's own distinct-n (1.0 when no n-gram repeats inside the ad;
low for a model stuck in a loop), ``score`` pools every prediction (low when the system writes
the same ad for every brief). Tokens are words of any script (the Ge'ez-aware tokenizer of the
rouge_l module: letters and digits, Latin lower-cased, punctuation and emojis dropped).
"""

import re

import datasets
import evaluate

_WORD = re.compile(r"[\w\u135D-\u135F]+")

_DESCRIPTION = "distinct-n over word n-grams: per prediction and pooled over all predictions."

_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str): generated texts.
    n (int): n-gram order (default 1).
Returns:
    score (float): unique n-grams / n-grams, pooled over all predictions (NaN without n-grams).
    scores (list of float): the same inside each prediction (NaN for a text shorter than n).
Examples:
    >>> m = evaluate.load("eval/metrics/distinct_n")
    >>> m.compute(predictions=["ጫማ ጫማ ዋጋ"], n=1)["scores"]
    [0.6666666666666666]
"""

_CITATION = """\
@inproceedings{li-etal-2016-diversity, title = "A Diversity-Promoting Objective Function for
  Neural Conversation Models", author = "Li, Jiwei and others", booktitle = "NAACL", year = "2016"}
"""


def words(text):
    return [w.lower() for w in _WORD.findall(text.replace("_", " "))]


def ngrams(tokens, n):
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class DistinctN(evaluate.Metric):
    """distinct-n, per text and pooled."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string")}),
        )

    def _compute(self, predictions, n=1):
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        scores = []
        pooled = []
        for text in predictions:
            grams = ngrams(words(text), n)
            pooled.extend(grams)
            scores.append(len(set(grams)) / len(grams) if grams else float("nan"))
        score = len(set(pooled)) / len(pooled) if pooled else float("nan")
        return {"score": score, "scores": scores}
