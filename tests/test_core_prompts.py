"""The prompt builder: one set of variables, messages and their hash, the saved spec's checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.core.briefs import Brief
from workbench.core.errors import ConfigError
from workbench.core.prompts import (
    PROMPT_SPEC_FILE,
    VARIABLES,
    PromptSpec,
    build_prompt,
    load_prompt_spec,
    messages_sha256,
    prompt_variables,
    save_prompt_spec,
)

BRIEF = Brief.model_validate({
    "brand": "Abebe Shoes", "product": "የቆዳ ጫማ", "vertical": "Retail",
    "target_channel": "Sheger Gebeya", "offer": "20% ቅናሽ ዋጋ 1,500 ብር",
    "call_to_action": "ዛሬውኑ ይደውሉ", "contact": {"phone": "0911 22 33 44", "handle": "abebeshoes"},
})
TEMPLATES = Path(__file__).resolve().parents[1] / "training" / "templates"


def spec(template: str = "{{ brand }}\n{% for ad in context_ads %}[{{ ad }}]{% endfor %}",
         **kw: object) -> PromptSpec:
    fields: dict = {"system_prompt": "SYS", "context_ads": 2, "context_chars": 20} | kw
    return PromptSpec.from_text(template, **fields)


def test_variables_have_one_meaning_each() -> None:
    variables = prompt_variables(BRIEF, ["past ad"])
    assert tuple(variables) == VARIABLES
    assert variables["channel"] == "Sheger Gebeya"
    assert variables["prices"] == ["1,500 ብር"]
    assert variables["contacts"] == ["0911 22 33 44", "@abebeshoes"]
    assert variables["language_name"] == "Amharic"


def test_build_prompt_shows_the_spec_s_context_and_hashes_the_messages() -> None:
    ads = ["a" * 30, "second ad", "third ad is never shown"]
    prompt = build_prompt(spec(), BRIEF, ads)
    assert prompt.context_ads == ["a" * 19 + "…", "second ad"]
    assert prompt.messages == [{"role": "system", "content": "SYS"},
                               {"role": "user",
                                "content": f"Abebe Shoes\n[{'a' * 19}…][second ad]"}]
    assert prompt.prompt_sha256 == messages_sha256(prompt.messages)
    # Anything in the messages changes the hash; nothing else does.
    assert build_prompt(spec(system_prompt=""), BRIEF, ads).prompt_sha256 != prompt.prompt_sha256
    assert build_prompt(spec(), BRIEF, ads[1:]).prompt_sha256 != prompt.prompt_sha256
    assert build_prompt(spec(template_path="elsewhere.jinja"), BRIEF, ads).prompt_sha256 == \
        prompt.prompt_sha256
    assert build_prompt(spec(system_prompt=""), BRIEF, []).messages[0]["role"] == "user"


@pytest.mark.parametrize("name", ["brief.jinja", "ad_prompt.j2"])
def test_shipped_templates_use_only_known_variables(name: str) -> None:
    shipped = PromptSpec.from_file(TEMPLATES / name, system_prompt="", context_ads=1,
                                   context_chars=50)
    user = build_prompt(shipped, BRIEF, ["ቀድሞ የወጣ ማስታወቂያ"]).user
    for value in ("Sheger Gebeya", "Abebe Shoes", "የቆዳ ጫማ", "0911 22 33 44", "@abebeshoes",
                  "ዛሬውኑ ይደውሉ", "ቀድሞ የወጣ ማስታወቂያ"):
        assert value in user


def test_unknown_variable_and_bad_syntax_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^t\.jinja: 'words' is undefined \(variables: ") as err:
        build_prompt(spec("{{ words }}", template_path="t.jinja"), BRIEF, [])
    assert "\n" not in str(err.value)
    broken = tmp_path / "broken.jinja"
    broken.write_text("{% if %}", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.jinja: line 1: "):
        PromptSpec.from_file(broken, system_prompt="", context_ads=0, context_chars=20)
    with pytest.raises(ConfigError, match=r"missing\.jinja: prompt template not found"):
        PromptSpec.from_file(tmp_path / "missing.jinja", system_prompt="", context_ads=0,
                             context_chars=20)


def test_saved_spec_round_trips_and_edits_are_caught(tmp_path: Path) -> None:
    saved = spec(template_path="brief.jinja")
    path = save_prompt_spec(saved, tmp_path)
    assert path.name == PROMPT_SPEC_FILE
    assert load_prompt_spec(tmp_path) == saved
    assert load_prompt_spec(tmp_path).sha256() == saved.sha256()
    raw = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**raw, "template": raw["template"] + "!"}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"prompt_spec\.json: <top level>: "
                                          r"template_sha256 is not the SHA-256"):
        load_prompt_spec(tmp_path)
    path.write_text(json.dumps({**raw, "extra": 1}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"prompt_spec\.json: unknown key 'extra'; allowed: "):
        load_prompt_spec(tmp_path)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"prompt_spec\.json: unreadable prompt spec"):
        load_prompt_spec(tmp_path)
    with pytest.raises(ConfigError, match=r"not found; the prompt spec is written by"):
        load_prompt_spec(tmp_path / "no-run")


def test_runs_with_different_specs_cannot_share_a_suite(tmp_path: Path) -> None:
    from workbench.core.config import ProjectConfig
    from workbench.evaluation.suite import DecodingConfig
    from workbench.evaluation.systems import HFSystem, TemplateSystem, eval_prompt_spec
    from workbench.generation.registry import LocalModel, config_prompt_spec

    local = LocalModel(model_dir=tmp_path)

    def run(name: str, run_spec: PromptSpec | None) -> HFSystem:
        return HFSystem(name, local, decoding=DecodingConfig(), run_prompt_spec=run_spec,
                        lineage={})

    a, b = spec(), spec(system_prompt="Other")
    systems = [TemplateSystem("template"), run("a", a), run("base", None)]
    assert eval_prompt_spec(systems, ProjectConfig()) == a
    assert [s.system_prompt for s in systems[1:]] == ["SYS", "SYS"]  # every model gets it
    with pytest.raises(ConfigError, match="systems a, b were trained with different prompt"):
        eval_prompt_spec([run("a", a), run("b", b)], ProjectConfig())
    # No run: the generation section's spec.
    assert eval_prompt_spec([run("base", None)], ProjectConfig()) == \
        config_prompt_spec(ProjectConfig().generation)
