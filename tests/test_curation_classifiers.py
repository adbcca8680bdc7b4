"""Classifiers beyond the baseline: word+char n-grams, a local encoder, ``auto``, the flag
self-check and the learning curve."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from synthetic.corpus import annotations_from_labels, flip_labels, make_corpus
from tests.curation_helpers import in_memory, write_stage
from workbench.cli import app
from workbench.core.config import ProjectConfig
from workbench.core.errors import ConfigError
from workbench.core.settings.curation import FlagConfig
from workbench.curation.choose import choose
from workbench.curation.classifiers import (
    REGISTRY,
    auto_candidates,
    get_classifier,
    log_loss_of,
    out_of_fold_probs,
)
from workbench.curation.flag import flag_labels
from workbench.curation.learning_curve import curve, sizes
from workbench.curation.selfcheck import self_check
from workbench.webapp.dashboard import build_dashboard


@pytest.fixture(scope="module")
def corpus():
    return make_corpus(500, seed=21, difficulty=0.3)


def test_word_char_entry_learns_the_vertical(corpus) -> None:
    spec = get_classifier("word_char_lr")
    ads = corpus.truth.filter(pl.col("vertical").is_not_null())
    texts = corpus.messages.join(ads.select("uid"), on="uid").get_column("text").to_list()
    classes = sorted(set(ads.get_column("vertical").to_list()))
    y = np.array([classes.index(v) for v in ads.get_column("vertical").to_list()])
    x = spec.featurizer().fit_transform(texts)
    probs, _ = out_of_fold_probs(x, y, spec=spec, n_classes=len(classes), seed=0)
    accuracy = float((probs.argmax(1) == y).mean())
    # Chance is about 1/len(classes) (~0.1): word and char n-grams must learn far beyond it.
    assert accuracy > 0.6, accuracy
    assert log_loss_of(y, probs) < np.log(len(classes))


def test_choose_picks_the_lowest_out_of_fold_log_loss() -> None:
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 40)
    informative = np.eye(3)[y] + rng.normal(0, 0.3, (y.size, 3))
    noise = rng.normal(0, 1, (y.size, 3))
    specs = [REGISTRY["tfidf_sgd"], REGISTRY["tfidf_lr"]]
    # The registry's second entry sees the signal; the first sees noise and must lose.
    picked = choose(specs, {"tfidf_sgd": noise, "tfidf_lr": informative}, y, task="t",
                    n_classes=3, folds=5, seed=0)
    assert picked.picked == "tfidf_lr"
    assert picked.log_loss["tfidf_lr"] < picked.log_loss["tfidf_sgd"]
    assert "auto picked tfidf_lr" in picked.line()


def test_auto_reports_its_pick_per_task_in_the_output_and_manifest(tmp_path: Path, corpus) -> None:
    labels, _ = flip_labels(corpus.truth, rate=0.05, seed=3)
    root = write_stage(tmp_path, corpus.messages, annotations_from_labels(labels, annotator="a"))
    result = CliRunner().invoke(app, ["curate", "flag", "--data-dir", str(root), "--classifier",
                                      "auto", "--folds", "3"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((root / "curated" / "manifest.json").read_text(encoding="utf-8"))
    tasks = manifest["runs"]["flag"]["tasks"]
    candidates = {s.name for s in auto_candidates()}
    for task in ("is_ad", "vertical", "tags"):
        table = tasks[task]["auto_log_loss"]
        assert set(table) == candidates
        assert tasks[task]["classifier"] == min(table, key=table.get)
        assert f"{task}: auto picked {tasks[task]['classifier']}" in result.output


def test_embed_lr_needs_a_local_encoder_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs a local encoder"):
        get_classifier("embed_lr").featurizer()
    with pytest.raises(ConfigError, match="not a local sentence-transformers"):
        get_classifier("embed_lr", encoder=tmp_path)
    assert "embed_lr" not in {s.name for s in auto_candidates()}


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory, corpus) -> Path:
    from tests.rag_data import build_tiny_llama

    return build_tiny_llama(tmp_path_factory.mktemp("enc"),
                            corpus.messages.get_column("text").to_list()[:200])


def test_embed_lr_over_a_tiny_local_hf_encoder(tiny_encoder: Path, corpus) -> None:
    from workbench.curation.encoders import LocalEncoder

    texts = corpus.messages.get_column("text").to_list()[:40]
    vectors = LocalEncoder(tiny_encoder).fit_transform([*texts, ""])
    assert vectors.shape[0] == 41
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    # Mean pooling ignores padding: a text encodes the same alone and in a padded batch.
    alone = LocalEncoder(tiny_encoder).fit_transform(texts[:1])
    assert np.allclose(alone[0], vectors[0], atol=1e-4)
    small = corpus.messages.head(120)
    ann = annotations_from_labels(corpus.truth.head(120), annotator="a")
    result = flag_labels(in_memory(small, ann),
                         cfg=FlagConfig(classifier="embed_lr", encoder=str(tiny_encoder), folds=3))
    assert result.predictions.filter(pl.col("task") == "is_ad").height == 120
    assert {o.classifier for o in result.outcomes if not o.skipped} == {"embed_lr"}
    assert "embed_lr" in {s.name for s in auto_candidates(tiny_encoder)}


def test_embed_lr_over_a_sentence_transformers_folder(tiny_encoder: Path, tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer, models

    from workbench.curation.encoders import LocalEncoder

    word = models.Transformer(str(tiny_encoder))
    st = SentenceTransformer(modules=[word, models.Pooling(word.get_embedding_dimension())])
    st.save(str(tmp_path / "st"))
    vectors = LocalEncoder(tmp_path / "st").fit_transform(["ሰላም ለሁላችሁ", "ቤት የሚሸጥ"])
    assert vectors.shape == (2, word.get_embedding_dimension())
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_self_check_finds_the_flips_it_injected(corpus) -> None:
    ann = annotations_from_labels(corpus.truth, annotator="a")
    inputs = in_memory(corpus.messages, ann)
    before = inputs.annotations.clone()
    checks = {c.task: c for c in self_check(inputs, cfg=FlagConfig(folds=3), rate=0.1)}
    assert inputs.annotations.equals(before)  # the user's labels are not changed
    assert checks["tags"].skipped
    is_ad = checks["is_ad"]
    assert is_ad.n_flipped == round(0.1 * is_ad.n_confident)
    assert is_ad.n_confident > 0.6 * corpus.truth.height
    current = is_ad.points[0]
    assert current.name.startswith("current (filter_by=low_self_confidence)")
    # Chance precision is the flip share of the confident part (0.1).
    assert current.precision > 0.5, is_ad.lines()
    assert current.recall > 0.5, is_ad.lines()
    # Lower label_quality thresholds flag fewer items: the operating point moves.
    flagged = [p.flagged for p in is_ad.points if p.name.startswith("label_quality <")]
    assert flagged == sorted(flagged)
    assert flagged[0] < flagged[-1]
    # The other cleanlab methods are measured on the same run; each reads as it would if it
    # were the configured one.
    others = {p.name: p for p in is_ad.points if p.name.startswith("filter_by=")}
    assert set(others) == {"filter_by=low_normalized_margin", "filter_by=prune_by_noise_rate",
                           "filter_by=both"}
    margin = {c.task: c for c in self_check(
        inputs, cfg=FlagConfig(folds=3, filter_by="low_normalized_margin"), rate=0.1)}["is_ad"]
    assert margin.points[0].name == "current (filter_by=low_normalized_margin)"
    same = others["filter_by=low_normalized_margin"]
    assert (margin.points[0].flagged, margin.points[0].precision, margin.points[0].recall) == (
        same.flagged, same.precision, same.recall)
    # Each cleanlab point names its method; a label_quality threshold has none.
    assert [p.method for p in is_ad.points if p.method] == [
        "low_self_confidence", "low_normalized_margin", "prune_by_noise_rate", "both"]
    assert all(p.method is None for p in is_ad.points if p.name.startswith("label_quality <"))


def test_self_check_reuses_a_flag_run_it_is_given(corpus, monkeypatch) -> None:
    import workbench.curation.selfcheck as selfcheck

    inputs = in_memory(corpus.messages, annotations_from_labels(corpus.truth, annotator="a"))
    cfg = FlagConfig(folds=3)
    base = flag_labels(inputs, cfg=cfg)
    runs: list[int] = []

    def counted(*args, **kwargs):
        runs.append(1)
        return flag_labels(*args, **kwargs)

    monkeypatch.setattr(selfcheck, "flag_labels", counted)
    given = self_check(inputs, cfg=cfg, rate=0.1, base=base)
    with_base = len(runs)
    fresh = self_check(inputs, cfg=cfg, rate=0.1)
    # The same report, one flag run fewer: the given run is the base, not recomputed.
    assert [c.lines() for c in given] == [c.lines() for c in fresh]
    assert len(runs) - with_base == with_base + 1


def test_self_check_cli_writes_nothing(tmp_path: Path, corpus) -> None:
    root = write_stage(tmp_path, corpus.messages,
                       annotations_from_labels(corpus.truth, annotator="a"))
    result = CliRunner().invoke(app, ["curate", "flag", "--data-dir", str(root), "--self-check",
                                      "--flip-rate", "0.05", "--task", "is_ad", "--folds", "3"])
    assert result.exit_code == 0, result.output
    assert "self-check: 5% of each task's confidently labeled items flipped" in result.output
    assert re.search(r"is_ad: \d+ known flip\(s\) injected among \d+ confidently", result.output)
    assert not (root / "curated" / "label_issues.parquet").exists()


def test_learning_curve_rises_and_compares_both_orders() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 300)
    x = np.eye(3)[y] + rng.normal(0, 0.8, (300, 3))
    frame = curve(x, y, spec=REGISTRY["tfidf_lr"], n_classes=3, folds=3, seed=0)
    assert set(frame.get_column("order")) == {"random", "uncertainty"}
    for order in ("random", "uncertainty"):
        d = frame.filter(pl.col("order") == order).sort("n_labels")
        assert d.get_column("n_labels").to_list() == sizes(200, 3)
        acc = d.get_column("accuracy").to_list()
        assert acc[-1] > acc[0] + 0.1, acc
        assert (d.get_column("folds") == 3).all()
    first = frame.filter(pl.col("n_labels") == 10).sort("order").get_column("accuracy").to_list()
    assert first[0] == first[1]  # both orders start from the same random seed set


def test_curve_is_written_and_shown_in_the_dataset_card(tmp_path: Path, corpus) -> None:
    root = write_stage(tmp_path, corpus.messages,
                       annotations_from_labels(corpus.truth, annotator="a"))
    runner = CliRunner()
    for command in (["flag", "--folds", "3"], ["curve", "--task", "is_ad"], ["split"]):
        result = runner.invoke(app, ["curate", *command, "--data-dir", str(root)])
        assert result.exit_code == 0, (command, result.output)
        if command[0] == "curve":
            assert "is_ad (uncertainty):" in result.output
            # Which classifier the curve measured (it is not always the one flag used: auto).
            assert "curve: out-of-fold accuracy of tfidf_nb_svm by number" in result.output
    curated = root / "curated"
    frame = pl.read_parquet(curated / "learning_curve.parquet")
    assert set(frame.get_column("task")) == {"is_ad"}
    assert (curated / "learning_curve.png").read_bytes()[:4] == b"\x89PNG"
    card = (curated / "splits" / "DATASET_CARD.md").read_text(encoding="utf-8")
    assert "## How many labels are enough" in card
    assert "](../learning_curve.png)" in card
    assert "| is_ad | uncertainty |" in card
    board = build_dashboard(root, ProjectConfig(), max_age_s=0)
    assert [c["task"] for c in board.curve] == ["is_ad"]
    assert board.curve[0]["rows"][-1]["random"] > board.curve[0]["rows"][0]["random"]


def test_calibrated_nb_is_less_overconfident_than_plain_nb(corpus) -> None:
    ads = corpus.truth.filter(pl.col("vertical").is_not_null())
    texts = corpus.messages.join(ads.select("uid"), on="uid").get_column("text").to_list()
    classes = sorted(set(ads.get_column("vertical").to_list()))
    y = np.array([classes.index(v) for v in ads.get_column("vertical").to_list()])
    x = REGISTRY["tfidf_nb"].featurizer().fit_transform(texts)
    losses = {}
    for name in ("tfidf_nb", "tfidf_nb_cal"):
        probs, _ = out_of_fold_probs(x, y, spec=REGISTRY[name], n_classes=len(classes), seed=0)
        losses[name] = log_loss_of(y, probs)
    assert losses["tfidf_nb_cal"] < losses["tfidf_nb"], losses
    # A class with one example leaves no inner folds: the plain model is fitted instead.
    one = np.array([0] * 6 + [1] * 5 + [2])
    model = REGISTRY["tfidf_nb_cal"].model(0).fit(x[:12], one)
    assert type(model.model_).__name__ == "ComplementNB"
    assert model.predict_proba(x[:3]).shape == (3, 3)


def test_default_classifier_is_chosen_per_task_kind_and_recorded(tmp_path: Path, corpus) -> None:
    root = write_stage(tmp_path, corpus.messages,
                       annotations_from_labels(corpus.truth, annotator="a"))
    result = CliRunner().invoke(app, ["curate", "flag", "--data-dir", str(root), "--folds", "3"])
    assert result.exit_code == 0, result.output
    run = json.loads((root / "curated" / "manifest.json").read_text(encoding="utf-8"))["runs"]["flag"]
    # Measured (README): the NB + SVM blend for single-choice tasks, logistic regression for tags.
    assert {t: run["tasks"][t]["classifier"] for t in ("is_ad", "vertical", "tags")} == {
        "is_ad": "tfidf_nb_svm", "vertical": "tfidf_nb_svm", "tags": "tfidf_lr"}
    assert run["config"]["classifier"] == {"single": "tfidf_nb_svm", "multi": "tfidf_lr"}
    assert run["model_version"].startswith("single=tfidf_nb_svm,multi=tfidf_lr-k3-")
    # One name still means every task; a mapping may name one kind and keep the other's default.
    one = flag_labels(in_memory(corpus.messages, annotations_from_labels(corpus.truth, annotator="a")),
                      cfg=FlagConfig(classifier="tfidf_sgd", folds=3))
    assert {o.classifier for o in one.outcomes if not o.skipped} == {"tfidf_sgd"}
    assert FlagConfig(classifier={"multi": "auto"}).classifier_for("single") == "tfidf_nb_svm"


def test_curve_uses_the_single_choice_classifier(corpus) -> None:
    from workbench.curation.learning_curve import learning_curves

    inputs = in_memory(corpus.messages, annotations_from_labels(corpus.truth, annotator="a"))
    cfg = FlagConfig(classifier={"single": "tfidf_nb", "multi": "tfidf_lr"}, folds=3)
    curves = learning_curves(inputs, cfg)
    assert set(curves.get_column("classifier").to_list()) == {"tfidf_nb"}


def test_curve_summary_says_when_a_rare_label_lowered_the_folds() -> None:
    from workbench.curation.learning_curve import CURVE_SCHEMA, summary_lines

    def frame(folds: int) -> pl.DataFrame:
        return pl.DataFrame({"task": ["topic"] * 2, "classifier": ["tfidf_nb_svm"] * 2,
                             "order": ["random", "uncertainty"], "n_labels": [502, 502],
                             "accuracy": [0.7, 0.69], "accuracy_sd": [0.01, 0.01],
                             "folds": [folds, folds]}, schema=CURVE_SCHEMA)

    lowered = summary_lines(frame(2), folds=5)
    assert "  topic: 2 folds, not 5: a label has fewer than 5 items (see curate flag's line for which)" in lowered
    assert not any("folds" in line for line in summary_lines(frame(5), folds=5))


def test_out_of_fold_fits_slice_their_inputs_one_fit_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # With 10 draws the job list held 50 training slices (and 50 copies of the unlabeled texts)
    # before the first fit: AfriSenti's flag peaked at 938 MB against 450 MB for one draw.
    from workbench.curation import classifiers

    class Counting:
        def __init__(self, x: np.ndarray) -> None:
            self.x, self.slices = x, 0

        def __getitem__(self, idx: np.ndarray) -> np.ndarray:
            self.slices += 1
            return self.x[idx]

    x = Counting(np.arange(40, dtype=float).reshape(20, 2))
    seen: list[int] = []

    def fake_fit_predict(spec: object, seed: int, x_train: np.ndarray, y_train: np.ndarray,
                         x_pred: np.ndarray, n_classes: int) -> np.ndarray:
        seen.append(x.slices)
        return np.full((x_pred.shape[0], n_classes), 1.0 / n_classes)

    monkeypatch.setattr(classifiers, "fit_predict", fake_fit_predict)
    y = np.arange(20) % 2
    classifiers.out_of_fold_probs(x, y, spec=REGISTRY["tfidf_lr"], n_classes=2, folds=5, repeats=3)
    assert seen == [2 * (i + 1) for i in range(15)]  # a fit's two slices, then the fit


def test_an_empty_curve_is_plotted_without_a_library_warning(tmp_path: Path) -> None:
    # No single-choice task with enough labels: matplotlib's "No artists with labels found to
    # put in legend" reached the user's terminal.
    import warnings

    from workbench.curation.learning_curve import CURVE_SCHEMA, plot_curves

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot_curves(pl.DataFrame(schema=CURVE_SCHEMA), tmp_path / "curve.png")
    assert (tmp_path / "curve.png").read_bytes()[:4] == b"\x89PNG"
