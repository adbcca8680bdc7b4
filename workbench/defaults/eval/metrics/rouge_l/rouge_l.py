"""ROUGE-L (rouge-score) with a tokenizer that keeps Ge'ez.

rouge-score's default tokenizer keeps only [a-z0-9]: an Amharic text becomes empty and every
score is 0 or 1. This module passes its own tokenizer: words are runs of letters, digits and
Ethiopic combining marks (Ge'ez letters included), Latin is lower-cased, and punctuation (Ethiopic
፡ ። ፣ ፤ ፦ too), symbols and emojis are dropped, as ROUGE drops punctuation. No stemming: the
Porter stemmer is English-only.
"""

import re

import datasets
import evaluate
from rouge_score import rouge_scorer

_WORD = re.compile(r"[\w\u135D-\u135F]+")

_DESCRIPTION = "ROUGE-L F1 with a whitespace/Ethiopic-aware tokenizer; corpus mean and per item."

_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str): generated texts.
    references (list of str): one reference per prediction.
Returns:
    score (float): mean ROUGE-L F1 over predictions, 0-1.
    scores (list of float): ROUGE-L F1 of each prediction.
    precision, recall (list of float): per prediction.
"""

_CITATION = """\
@inproceedings{lin-2004-rouge, title = "{ROUGE}: A Package for Automatic Evaluation of Summaries",
  author = "Lin, Chin-Yew", booktitle = "Text Summarization Branches Out", year = "2004"}
"""


class EthiopicTokenizer:
    """Word tokens: letters/digits (any script), underscores removed, Latin lower-cased."""

    def tokenize(self, text):
        return [w.lower() for w in _WORD.findall(text.replace("_", " "))]


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class RougeL(evaluate.Metric):
    """ROUGE-L F1 that sees Amharic words."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
            codebase_urls=["https://github.com/google-research/google-research/tree/master/rouge"],
        )

    def _compute(self, predictions, references):
        scorer = rouge_scorer.RougeScorer(["rougeL"], tokenizer=EthiopicTokenizer())
        results = [scorer.score(r, p)["rougeL"]
                   for p, r in zip(predictions, references, strict=True)]
        scores = [s.fmeasure for s in results]
        mean = sum(scores) / len(scores) if scores else float("nan")
        return {"score": mean, "scores": scores, "precision": [s.precision for s in results],
                "recall": [s.recall for s in results]}
