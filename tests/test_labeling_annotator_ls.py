"""The annotator's first use on a REAL Label Studio: instructions, titles, pre-fills, users, status."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.conftest import LabelingEnv, run_workbench
from tests.labeling_data import EXPECTED_PROJECTS, make_data_dir
from workbench.core import password_input
from workbench.labeling import users_cli
from workbench.labeling.backends import labeling_taxonomy
from workbench.labeling.labelstudio.api import MAX_TITLE
from workbench.labeling.labelstudio.backend import LabelStudioBackend
from workbench.labeling.pull import run_pull
from workbench.labeling.push import run_push
from workbench.labeling.status import render, run_status
from workbench.labeling.taxonomy_render import GUIDELINES_POINTER

pytestmark = pytest.mark.labelstudio

#: A guidelines example the packaged file carries (weather news, Non-Ad).
AMHARIC_EXAMPLE = "ዛሬ በአዲስ አበባ ከባድ ዝናብ ይጥላል ተብሏል።"


def _config_args(env: LabelingEnv, tmp_path: Path) -> list[str]:
    path = tmp_path / "workbench.yaml"
    path.write_text(json.dumps({"labeling": env.cfg.labeling.model_dump(mode="json")}), encoding="utf-8")
    return ["--config", str(path), "--data-dir", str(env.data_dir)]


def _backend(env: LabelingEnv) -> LabelStudioBackend:
    tax, _ = labeling_taxonomy(env.cfg)
    return LabelStudioBackend(env.data_dir, env.cfg.labeling, tax)


def test_projects_instructions_prefills_and_dry_run(labeling_env: LabelingEnv, tmp_path: Path) -> None:
    env = labeling_env
    make_data_dir(env.data_dir, tmp_path / "exports")
    args = _config_args(env, tmp_path)
    sizes = {k: len(v) for k, v in EXPECTED_PROJECTS.items()}

    dry = run_workbench("label", "push", "--dry-run", *args)
    assert dry.returncode == 0, dry.stderr
    for key, n in sizes.items():
        assert re.search(rf"{key}: {n} to add \(\d+ pre-annotated\), 0 already there", dry.stdout), dry.stdout

    results, _ = run_push(env.data_dir, env.cfg)
    assert {r.key: r.added for r in results} == sizes
    backend = _backend(env)
    try:
        projects = backend.managed_projects()
        assert set(projects) == set(sizes)
        for key, summary in projects.items():
            project = backend.api.project(summary["id"])
            assert project["title"] == backend.title(key)
            assert len(project["title"]) <= MAX_TITLE
            assert "label ad, vertical, tags" in project["title"]
            assert "Is this message an advertisement?" in project["description"]
            # The guidelines, Amharic examples included, are the project's instructions.
            assert project["show_instruction"] is True
            instruction = project["expert_instruction"]
            assert "<h2>Guidelines</h2>" in instruction
            assert AMHARIC_EXAMPLE in instruction
            assert "promotes a product" in instruction  # the taxonomy's hint for Ad
            assert "labeling/" not in instruction
            assert GUIDELINES_POINTER in project["label_config"]
        group1 = projects["group-1"]["id"]

        # The first push pre-fills every task that applies: is_ad always, vertical for every ad.
        for task in backend.api.iter_tasks(group1, include="id,data"):
            (prediction,) = backend.api.predictions(task["id"])
            answers = {r["from_name"]: r["value"]["choices"] for r in prediction["result"]}
            assert "is_ad" in answers
            if answers["is_ad"] == ["Ad"]:
                assert answers.get("vertical"), task["data"]["text"]

        # A project made under the old title is found and renamed, not duplicated.
        backend.api.update_project(group1, title=f"{env.cfg.labeling.project_prefix}: group-1")
    finally:
        backend.close()
    dry = run_workbench("label", "push", "--dry-run", *args)
    pushed = run_workbench("label", "push", *args)
    assert pushed.returncode == 0, pushed.stderr
    for key, n in sizes.items():
        assert f"{key}: 0 to add, {n} already there" in dry.stdout
        assert f"{key}: 0 added, {n} already there" in pushed.stdout
    backend = _backend(env)
    try:
        assert backend.managed_projects()["group-1"]["id"] == group1
        assert backend.api.project(group1)["title"] == backend.title("group-1")
    finally:
        backend.close()


def logs_in(env: LabelingEnv, email: str, password: str) -> bool:
    """Whether Label Studio's own login page accepts the e-mail and password."""
    with httpx.Client(base_url=env.server.url, timeout=30) as login:
        login.get("/user/login/")
        resp = login.post("/user/login/",
                          data={"email": email, "password": password,
                                "csrfmiddlewaretoken": login.cookies.get("csrftoken")},
                          headers={"Referer": f"{env.server.url}/user/login/"})
    return resp.status_code == 302


def test_users_add_ls_remove(labeling_env: LabelingEnv, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    env = labeling_env
    args = ["--data-dir", str(env.data_dir)]
    registry_path = env.data_dir / "labelstudio" / "annotators.json"

    # No terminal: a generated password, shown once and stored nowhere.
    made = run_workbench("label", "users", "add", "Hana@example.com", "--group", "1", *args)
    assert made.returncode == 0, made.stderr
    password = re.search(r"password: (\S+)", made.stdout).group(1)
    assert "stored nowhere" in made.stdout
    assert password not in registry_path.read_text()
    assert logs_in(env, "hana@example.com", password), "the shown password logs in"

    # An existing account: said so, exit 2 (no prompt); a new group is recorded.
    again = run_workbench("label", "users", "add", "hana@example.com", *args)
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert "aborted" not in again.stderr
    regroup = run_workbench("label", "users", "add", "hana@example.com", "--group", "2", *args)
    assert regroup.returncode == 0, regroup.stderr
    assert "group 2 recorded" in regroup.stdout

    # On a terminal: typed twice, hidden; nothing printed about the password.
    monkeypatch.setattr(password_input, "stdin_is_terminal", lambda: True)
    typed = CliRunner().invoke(users_cli.users_app, ["add", "kebede@example.com", *args],
                               input="Typed-Secret-42\nTyped-Secret-42\n")
    assert typed.exit_code == 0, typed.output
    assert "created annotator kebede@example.com" in typed.output
    assert "Typed-Secret-42" not in typed.output
    assert "stored in" not in typed.output
    assert "password for kebede@example.com" in typed.output  # the prompt itself

    # Piped, as `workbench users add --password-stdin` reads it: no prompt, nothing shown.
    piped = CliRunner().invoke(users_cli.users_app, ["add", "almaz@example.com", "--password-stdin",
                                                     *args], input="Piped-Secret-42\n")
    assert piped.exit_code == 0, piped.output
    assert "Piped-Secret-42" not in piped.output
    assert "password for" not in piped.output
    assert logs_in(env, "almaz@example.com", "Piped-Secret-42")

    listed = run_workbench("label", "users", "ls", *args)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line.split()[1:] for line in listed.stdout.splitlines()[3:]}
    assert rows["hana@example.com"][:2] == ["2", "active"]
    assert rows["kebede@example.com"][:2] == ["-", "active"]

    # Remove = deactivate: the annotator's token no longer opens projects; their record stays.
    token = json.loads(registry_path.read_text())["hana@example.com"]["token"]
    removed = run_workbench("label", "users", "remove", "hana@example.com", *args)
    assert removed.returncode == 0, removed.stderr
    assert "removed annotator hana@example.com" in removed.stdout
    seen = httpx.get(f"{env.server.url}/api/projects/", headers={"Authorization": f"Token {token}"},
                     timeout=30)
    assert seen.status_code != 200 or not seen.json().get("results")
    twice = run_workbench("label", "users", "remove", "hana@example.com", *args)
    assert "already removed" in twice.stdout
    listed = run_workbench("label", "users", "ls", *args)
    assert re.search(r"hana@example.com\s+2\s+removed \d{4}-\d\d-\d\d", listed.stdout), listed.stdout
    readd = run_workbench("label", "users", "add", "hana@example.com", "--group", "1", *args)
    assert readd.returncode == 2
    assert "was removed" in readd.stderr
    unknown = run_workbench("label", "users", "remove", "nobody@example.com", *args)
    assert unknown.returncode == 2
    assert "no annotator nobody@example.com" in unknown.stderr


def test_status_shows_rating_projects_live_and_from_file(labeling_env: LabelingEnv,
                                                         tmp_path: Path) -> None:
    env = labeling_env
    make_data_dir(env.data_dir, tmp_path / "exports")
    run_push(env.data_dir, env.cfg, group=1)
    backend = _backend(env)
    rating_title = f"Score ads 1-5 · {env.cfg.labeling.project_prefix}"
    try:
        rating = backend.api.create_project(title=rating_title,
                                            label_config='<View><Text name="t" value="$t"/>'
                                                         '<Rating name="r" toName="t"/></View>')
        backend.api.import_tasks(rating["id"], [{"data": {"t": "ሀ"}}, {"data": {"t": "ለ"}}])
    finally:
        backend.close()
    live = run_status(env.data_dir, env.cfg)
    others = {p.key: p for p in live.other_projects}
    assert others[rating_title].tasks == 2
    assert [p.key for p in live.projects] == ["group-1"]
    text = "\n".join(render(live))
    assert text.index("group-1") < text.index("other projects") < text.index(rating_title)

    run_pull(env.data_dir, env.cfg)
    offline = run_workbench("label", "status", "--from-file", *_config_args(env, tmp_path))
    assert offline.returncode == 0, offline.stderr
    assert "pulled" in offline.stdout
    assert re.search(r"^group-1\s+\d+\s+9\s+0\s+0\s+0.0%\s+0\s*$", offline.stdout, re.M), offline.stdout
    assert rating_title in offline.stdout
