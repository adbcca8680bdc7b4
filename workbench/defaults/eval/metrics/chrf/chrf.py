"""chrF and chrF++ (sacrebleu), the headline metric for Amharic ads.

Character n-grams need no word tokenizer, so Amharic's attached prefixes and suffixes
("ለኪራይ" holds "ኪራይ") still earn partial credit, unlike BLEU's whole-word matches.
Defaults are sacrebleu's chrF2 (character order 6, beta 2); ``word_order=2`` gives chrF++.

Returns the corpus score (what ``sacrebleu.corpus_chrf`` gives) and one sentence score per
prediction (what ``sacrebleu.sentence_chrf`` gives), so a harness can bootstrap over items.
"""

import datasets
import evaluate
import sacrebleu

_CITATION = """\
@inproceedings{popovic-2015-chrf,
  title = "chr{F}: character n-gram {F}-score for automatic {MT} evaluation",
  author = "Popovi{\\'c}, Maja", booktitle = "Proceedings of WMT", year = "2015"}
@inproceedings{popovic-2017-chrf,
  title = "chr{F}++: words helping character n-grams",
  author = "Popovi{\\'c}, Maja", booktitle = "Proceedings of WMT", year = "2017"}
"""

_DESCRIPTION = "chrF / chrF++ through sacrebleu: corpus score and per-prediction sentence scores."

_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str): generated texts.
    references (list of str): one reference per prediction.
    char_order (int): character n-gram order (default 6).
    word_order (int): word n-gram order; 0 is chrF, 2 is chrF++ (default 0).
    beta (int): recall weight (default 2).
    eps_smoothing (bool): sacrebleu's epsilon smoothing, not chrF++.py's (default False).
Returns:
    score (float): corpus chrF, 0-100.
    scores (list of float): sentence chrF of each prediction, 0-100.
    signature (str): sacrebleu's signature of the settings.
Examples:
    >>> chrf = evaluate.load("eval/metrics/chrf")
    >>> out = chrf.compute(predictions=["ጫማ በቅናሽ"], references=["ጫማ በቅናሽ"])
    >>> out["score"]
    100.0
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Chrf(evaluate.Metric):
    """chrF / chrF++ with per-prediction scores."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
            codebase_urls=["https://github.com/mjpost/sacrebleu"],
        )

    def _compute(self, predictions, references, char_order=6, word_order=0, beta=2,
                 eps_smoothing=False):
        metric = sacrebleu.metrics.CHRF(char_order=char_order, word_order=word_order, beta=beta,
                                        eps_smoothing=eps_smoothing)
        corpus = metric.corpus_score(list(predictions), [list(references)])
        scores = [metric.sentence_score(p, [r]).score
                  for p, r in zip(predictions, references, strict=True)]
        return {"score": corpus.score, "scores": scores, "signature": str(metric.get_signature())}
