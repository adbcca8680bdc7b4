"""Output checks: contact and brand present, Ethiopic share, Telegram limits, leaks, copies."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.rag_data import BRIEF
from workbench.core.briefs import Brief
from workbench.core.config import CleaningConfig
from workbench.core.settings.generation import ChecksConfig
from workbench.generation.checks import (
    CheckResult,
    check_candidate,
    ethiopic_share,
    leak_lines,
    overlap_ratio,
    utf16_units,
)

CLEANING = CleaningConfig()
BRIEF_OBJ = Brief.model_validate(BRIEF)  # brand Abebe Shoes, phone 0911 22 33 44, @abebeshoes
GOOD = "👞 Abebe Shoes የቆዳ ጫማ በቅናሽ ዋጋ! ዛሬውኑ ይደውሉ 0911223344 ወይም @abebeshoes ይጻፉልን"
AD = "የሴቶች ቀሚስ እና ጫማ አዲስ እቃዎች ገብተዋል ዋጋ 1,200 ብር ይደውሉ 0922334455"


def check(text: str, brief: Brief = BRIEF_OBJ, *, leak: Sequence[str] = (),
          cfg: ChecksConfig | None = None) -> CheckResult:
    return check_candidate(text, brief, leak=leak, retrieved=[("u1", AD)],
                           cfg=cfg or ChecksConfig(), cleaning=CLEANING)


def test_a_good_candidate_passes_everything() -> None:
    result = check(GOOD)
    assert result.passed, result.failures
    assert result.has_phone is True
    assert result.has_handle is True
    assert result.has_link is None  # the brief has no link
    assert result.ethiopic_share > 0.6


@pytest.mark.parametrize("phone", ["0911 22 33 44", "+251911223344", "+251-911-22-33-44",
                                   "ስልክ፡0911223344"])
def test_phone_found_in_any_spelling(phone: str) -> None:
    assert check(f"Abebe Shoes የቆዳ ጫማ {phone} @abebeshoes").has_phone


def test_missing_contact_and_brand_are_reported() -> None:
    result = check("የቆዳ ጫማ በቅናሽ ዋጋ ይደውሉ 0911223355 @abebeshoes_old")
    assert not result.has_brand
    assert result.has_phone is False
    assert result.has_handle is False  # a longer handle is another handle
    assert {"has_brand", "has_contact"} <= set(result.failures)
    # Homophone and case differences in the brand do not matter.
    brief = Brief.model_validate({**BRIEF, "brand": "ፀሐይ ሱቅ"})
    assert check("ጸሀይ ሱቅ 0911223344 @ABEBESHOES", brief).has_brand


def test_ethiopic_share_threshold_depends_on_language() -> None:
    english = "Abebe Shoes leather shoes on sale, call 0911223344 @abebeshoes"
    assert not check(english).ethiopic_ok
    assert check(english, Brief.model_validate({**BRIEF, "language": "en"})).ethiopic_ok
    assert ethiopic_share("ሰላም") == 1.0
    assert ethiopic_share("123 👍") == 0.0
    # Handles and links are Latin by nature: they do not count against an Amharic ad.
    assert check("Abebe ሰላም ለሁላችሁ የቆዳ ጫማ 0911223344 @abebeshoes https://t.me/abebe").ethiopic_ok


def test_telegram_limits_count_utf16_units() -> None:
    assert utf16_units("👍") == 2
    long_text = GOOD + " ሀ" * 2100
    result = check(long_text)
    assert result.length_units > 4096
    assert not result.length_ok
    caption = check(GOOD + " ሀ" * 500, cfg=ChecksConfig(caption=True))
    assert caption.length_limit == 1024
    assert not caption.length_ok
    assert check(GOOD + " ሀ" * 500).length_ok


def test_prompt_leaks() -> None:
    prompt = ("Write an Amharic Telegram ad for the channel \"Sheger Gebeya\".\n"
              "Brand: Abebe Shoes\nWrite the brand and every contact detail exactly as given.")
    lines = leak_lines([prompt], allowed=["Abebe Shoes"], min_chars=20, cleaning=CLEANING)
    assert "brand: abebe shoes" not in lines  # shorter than 20 characters
    assert check(GOOD, leak=lines).prompt_leak is False
    leaked = check(GOOD + "\nWrite the brand and every contact detail exactly as given.",
                   leak=lines)
    assert leaked.prompt_leak
    assert "no_leak" in leaked.failures
    assert check(GOOD + " <|assistant|>").leaked_text == "<|assistant|>"


def test_copies_of_retrieved_ads_are_flagged() -> None:
    assert overlap_ratio(AD, AD, cleaning=CLEANING) == 1.0
    # The ad with its phone swapped and a line added is still a copy.
    copy = "Abebe Shoes — የቆዳ ጫማ\n" + AD.replace("0922334455", "0911223344") + " @abebeshoes"
    result = check(copy)
    assert result.is_copy
    assert result.overlap_uid == "u1"
    assert "not_copy" in result.failures
    assert check(GOOD).overlap_ratio < 0.5
    assert check("").failures[0] == "not_empty"
