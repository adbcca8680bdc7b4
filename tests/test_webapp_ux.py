"""The studio's and the analyst pages' wording and numbers, in process (no browser).

Checks are named by what went wrong, every one of them; a brief's errors name every field;
outliers are listed with readable reasons and the message text; the loss overlay draws each
run's curves; numbers are written with 3 significant digits.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from tests.curation_helpers import cleaned_frame
from workbench.core.briefs import Brief
from workbench.core.config import CleaningConfig, ProjectConfig
from workbench.core.layout import Layout
from workbench.core.settings.generation import ChecksConfig
from workbench.generation import checks
from workbench.webapp import (
    brief_form,
    candidates,
    formatting,
    leaderboard,
    loss_chart,
    model_labels,
    run_compare,
)

BRIEF = Brief.model_validate({"brand": "Abebe Shoes", "product": "ጫማ", "vertical": "Retail",
                              "target_channel": "Addis Deals",
                              "contact": {"phone": "0911223344"}})
PAST_AD = "አዲስ ጫማ በቅናሽ ዋጋ ቦሌ መድሃኔዓለም ፊት ለፊት ይምጡ ለበለጠ መረጃ ይደውሉ 0922334455"


def run_checks(text: str) -> dict[str, object]:
    result = checks.check_candidate(text, BRIEF, leak=[], retrieved=[("1:1", PAST_AD)],
                                    cfg=ChecksConfig(), cleaning=CleaningConfig())
    return {"text": text, **result.as_row()}


def test_every_check_has_a_readable_name() -> None:
    table = re.findall(r"^``(\w+)``\s", checks.__doc__ or "", re.M)
    assert set(table) == set(checks.FAILURE_NAMES)
    for name in checks.FAILURE_NAMES.values():
        assert "not_" not in name
        assert "_" not in name


def test_candidates_are_named_by_what_went_wrong() -> None:
    empty = run_checks("")
    assert checks.failure_names(empty) == ["empty: the model wrote nothing"]
    assert candidates.verdict(empty).is_empty
    assert not candidates.verdict(empty).can_pick
    with pytest.raises(Exception, match="empty"):
        candidates.refuse_pick(empty)
    copied = run_checks(PAST_AD)  # another advertiser's ad, word for word
    names = checks.failure_names(copied)
    assert "copies a past ad" in names
    assert "no phone number" in names  # the brief's phone is missing: said so, not "has_contact"
    assert "no brand name" in names
    found = candidates.verdict(copied)
    assert found.is_copy
    assert found.can_pick
    candidates.refuse_pick(copied)
    good = run_checks("Abebe Shoes አዲስ የቆዳ ጫማ በቅናሽ ዋጋ! ዛሬውኑ ይደውሉ 0911 22 33 44")
    assert checks.failure_names(good) == []
    assert not candidates.verdict(good).is_copy


def test_a_brief_names_every_wrong_field() -> None:
    from workbench.webapp.studio import brief_from_form

    with pytest.raises(brief_form.BriefFormError) as caught:
        brief_from_form({"brand": "", "vertical": "Retale", "contact": "call me maybe"})
    fields = caught.value.fields
    assert set(fields) == {"brand", "product", "target_channel", "vertical", "contact"}
    assert "did you mean 'Retail'" in fields["vertical"]
    message = str(caught.value)
    assert "(+" not in message
    assert "\n" not in message
    for name in fields:
        assert brief_form.FIELD_LABELS[name].lower() in message
    assert {"brand", "product", "vertical", "target_channel",
                                          "contact"} == brief_form.REQUIRED_FIELDS
    assert set(brief_form.FIELD_LABELS) == set(Brief.model_fields) - {"id"}


def test_outliers_are_listed_with_readable_reasons(tmp_path: Path) -> None:
    from workbench.curation.dedup import run_dedup
    from workbench.webapp.dashboard import build_dashboard

    flood = "ነፃ ብር ያሸንፉ አሁኑኑ ይቀላቀሉ ነፃ ብር ያሸንፉ"
    english = "Breaking: the market in Dessie burned overnight, police said."
    texts = [english, *[flood] * 6, PAST_AD]
    messages = cleaned_frame(texts)
    lay = Layout(tmp_path)
    lay.cleaned.mkdir(parents=True)
    messages.write_parquet(lay.cleaned_messages)
    cfg = ProjectConfig()
    run_dedup(tmp_path, cfg)
    board = build_dashboard(tmp_path, cfg, max_age_s=0)
    by_reason = {o["reason"]: o for o in board.outliers}
    assert set(by_reason) == {"not Amharic", "posted again and again (flood)"}
    assert by_reason["posted again and again (flood)"]["count"] == 5
    [item] = by_reason["not Amharic"]["items"]
    assert item["text"] == messages["text"][0] or english[:20] in item["text"]
    assert item["detail"].startswith("not Amharic: ")
    assert "non_amharic" not in str(board.outliers)
    # No flagged items and no review project: nothing says the items are missing from one.
    assert not any("review project" in n for n in board.notes)


def test_loss_overlay_draws_each_runs_curves() -> None:
    records = [{"step": s, "loss": 4 / s} for s in range(1, 6)] + [{"step": 5, "eval_loss": 2}]
    curves = [*loss_chart.curves_of("A <x>", "#000", records),
              *loss_chart.curves_of("B", "#111", records[:3])]
    assert [c.label for c in curves] == ["A <x>: training loss", "A <x>: validation loss",
                                         "B: training loss"]
    svg = loss_chart.loss_chart_svg(curves, title="t")
    assert svg.count("<polyline") == 3
    assert "A &lt;x&gt;" in svg
    assert "<x>" not in svg
    assert loss_chart.loss_chart_svg([], title="t") == ""


@pytest.mark.parametrize("module", [checks, candidates, formatting, brief_form, model_labels, run_compare,
                                    leaderboard])
def test_doctests(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.failed == 0


def test_leaderboard_figures_open_full_size_with_readable_captions(web_world: object) -> None:
    from fastapi.testclient import TestClient

    from tests.webapp_world import ANALYST, PASSWORD, csrf_of
    from workbench.webapp.app import create_app

    client = TestClient(create_app(web_world.root, web_world.cfg))  # type: ignore[attr-defined]
    client.post("/login", data={"email": ANALYST, "password": PASSWORD,
                                "csrf_token": csrf_of(client.get("/login").text)})
    page = client.get("/leaderboard").text
    figures = re.findall(r'<figure data-figure="([^"]+)"><a href="([^"]+)"[^>]*><img src="([^"]+)"'
                         r'.*?<figcaption>([^<]+)', page, re.S)
    assert len(figures) >= 2
    for name, link, src, caption in figures:
        assert link == src
        assert client.get(link).status_code == 200
        assert caption.strip(" ·") != name  # the report's caption, not the file name
        assert len(caption.split()) >= 3
