"""BLEU through sacrebleu, with a tokenizer that keeps Ge'ez.

Tokenizer choice (``tokenize``, default ``"intl"``): sacrebleu's default ``13a`` splits only ASCII
punctuation, so the Ethiopic full stop and comma stay glued to the word ("ይደውሉ።" is not
"ይደውሉ") and a sentence end costs a whole-word match. ``intl`` splits every Unicode punctuation
and symbol character (Ethiopic ፡ ። ፣ ፤ ፦ included) and leaves Ge'ez letters whole. It is a
built-in sacrebleu tokenizer, so the score is reproducible with ``sacrebleu -tok intl`` and shows
in the signature. ``char`` (character BLEU) is allowed too; it overlaps chrF. Words are still
whole surface forms: BLEU under-credits Amharic morphology, which is why chrF is the headline.

Returns the corpus BLEU and one sentence BLEU per prediction (``effective_order=True``, the
usual choice for single sentences, so a short text without 4-gram matches is not zero).
"""

import datasets
import evaluate
import sacrebleu

_CITATION = """\
@inproceedings{post-2018-call,
  title = "A Call for Clarity in Reporting {BLEU} Scores", author = "Post, Matt",
  booktitle = "Proceedings of WMT", year = "2018"}
"""

_DESCRIPTION = "sacreBLEU (tokenize='intl' by default): corpus score and per-prediction scores."

_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str): generated texts.
    references (list of str): one reference per prediction.
    tokenize (str): sacrebleu tokenizer; "intl" (default), "13a", "char" or "none".
    lowercase (bool): lower-case Latin text first (default False).
    smooth_method (str): corpus smoothing, sacrebleu's (default "exp").
Returns:
    score (float): corpus BLEU, 0-100.
    scores (list of float): sentence BLEU of each prediction, 0-100.
    precisions (list of float): corpus n-gram precisions.
    bp (float): corpus brevity penalty.
    signature (str): sacrebleu's signature.
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Bleu(evaluate.Metric):
    """sacreBLEU with an Ethiopic-safe tokenizer and per-prediction scores."""

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

    def _compute(self, predictions, references, tokenize="intl", lowercase=False,
                 smooth_method="exp"):
        corpus_metric = sacrebleu.metrics.BLEU(tokenize=tokenize, lowercase=lowercase,
                                               smooth_method=smooth_method)
        corpus = corpus_metric.corpus_score(list(predictions), [list(references)])
        sentence_metric = sacrebleu.metrics.BLEU(tokenize=tokenize, lowercase=lowercase,
                                                 effective_order=True)
        scores = [sentence_metric.sentence_score(p, [r]).score
                  for p, r in zip(predictions, references, strict=True)]
        return {"score": corpus.score, "scores": scores, "precisions": list(corpus.precisions),
                "bp": corpus.bp, "signature": str(corpus_metric.get_signature())}
