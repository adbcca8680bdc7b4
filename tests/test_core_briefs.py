"""Brief validation: every failure is one line naming the file and the field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.rag_data import BRIEF, write_brief
from workbench.core.briefs import Brief, load_brief, load_briefs
from workbench.core.errors import ConfigError, InputFileError
from workbench.core.resources import sample


def test_valid_brief_gets_its_file_stem_as_id(tmp_path: Path) -> None:
    bf = load_brief(write_brief(tmp_path, "shoe-sale"))
    assert bf.id == "shoe-sale"
    assert bf.brief.contact.phone_e164 == "+251911223344"
    assert bf.brief.contact.handle == "@abebeshoes"
    assert len(bf.sha256) == 64
    assert load_brief(write_brief(tmp_path, "other", id="explicit")).id == "explicit"


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"ofer": "x"}, "unknown key 'ofer' (did you mean 'offer'?)"),
        ({"vertical": "Retial"}, "vertical: unknown vertical 'Retial' (did you mean 'Retail'?)"),
        ({"contact": {"phone": "0911"}}, "contact.phone: '0911' is not an Ethiopian phone"),
        ({"contact": {"handle": "a b"}}, "contact.handle: 'a b' is not a Telegram handle"),
        ({"contact": {}}, "contact: give at least one of phone, handle, link"),
        ({"language": "fr"}, "language: Input should be 'am', 'en' or 'mixed'"),
        ({"contact": "0911223344 / 0922334455"}, "contact: two phone values"),
    ],
)
def test_bad_brief_is_one_line_naming_file_and_field(tmp_path: Path, override: dict,
                                                     expected: str) -> None:
    path = write_brief(tmp_path, "bad", **override)
    with pytest.raises(ConfigError) as err:
        load_brief(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_missing_required_key(tmp_path: Path) -> None:
    import yaml

    data = {k: v for k, v in BRIEF.items() if k != "brand"}
    path = tmp_path / "nobrand.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"nobrand.yaml: brand: Field required"):
        load_brief(path)


def test_contact_string_forms() -> None:
    base = {k: v for k, v in BRIEF.items() if k != "contact"}
    both = Brief.model_validate({**base, "contact": "@lucy_fashion_et / 0911 23 45 67"}).contact
    assert (both.handle, both.phone) == ("@lucy_fashion_et", "0911 23 45 67")
    code = Brief.model_validate({**base, "contact": "*847# / https://t.me/hagere_mobile"}).contact
    assert (code.short_code, code.link) == ("*847#", "https://t.me/hagere_mobile")
    assert Brief.model_validate({**base, "contact": "+251 912 345 678"}).contact.phone_e164 == \
        "+251912345678"


def test_folder_loading_and_duplicate_ids(tmp_path: Path) -> None:
    write_brief(tmp_path / "b", "one")
    write_brief(tmp_path / "b", "two")
    assert [b.id for b in load_briefs([tmp_path / "b"])] == ["one", "two"]
    write_brief(tmp_path / "b", "three", id="one")
    with pytest.raises(ConfigError, match="brief id 'one' is already used"):
        load_briefs([tmp_path / "b"])
    with pytest.raises(InputFileError):
        load_briefs([tmp_path / "missing"])


def test_sample_briefs_validate() -> None:
    briefs = load_briefs([sample("briefs")])
    assert len(briefs) == 5
    assert all(b.brief.contact.items() for b in briefs)


def test_cli_bad_brief_is_one_line_exit_2(tmp_path: Path) -> None:
    path = write_brief(tmp_path, "bad", vertical="Retial")
    out = subprocess.run([sys.executable, "-m", "workbench", "generate", "--brief", str(path),
                          "--data-dir", str(tmp_path / "d")],
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "bad.yaml: vertical" in lines[0]
    assert "did you mean 'Retail'" in lines[0]
