"""Property-based test: whatever JSON or YAML a signed-in marketer sends, never a 500.

Briefs (JSON and uploaded YAML), generation requests and picks are built from valid requests
with fields replaced by arbitrary JSON, numbers Python cannot hold, lone surrogates, deep
nesting, or by raw bytes. Each must get its success status or a 4xx with a one-line message.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.webapp_world import PASSWORD, WebWorld, csrf_of
from workbench.webapp.app import create_app

FUZZER = "fuzz@fuzz.et"
VALID_BRIEF = {"brand": "Abebe Shoes", "product": "የቆዳ ጫማ", "vertical": "Retail",
               "target_channel": "Addis Deals", "contact": "0911 22 33 44"}
BRIEF_FIELDS = [*VALID_BRIEF, "campaign_goal", "offer", "call_to_action", "language", "notes",
                "id", "unknown_field"]
# Derandomized: the same examples on every run, so a run on a clean machine cannot fail where the
# last one passed; inputs a random run once found are pinned below with @example.
FUZZ = settings(max_examples=80, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class Raw:
    """JSON text inserted as is (what ``json.dumps`` would never write)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Raw({self.text[:40]!r})"


RAW = st.sampled_from([Raw("1e400"), Raw("-1e400"), Raw("NaN"), Raw("Infinity"),
                       Raw("9" * 5000), Raw("-" + "9" * 40), Raw("[" * 1000 + "]" * 1000),
                       Raw('{"a":' * 500 + "1" + "}" * 500), Raw('"\\ud800"'),
                       Raw('"a\\udfffb"'), Raw('"nul\\u0000byte"'), Raw("1.0e-400"),
                       Raw('"' + "ሀ" * 20_000 + '"')])
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
           | st.text(max_size=40) | RAW)
VALUES = st.recursive(SCALARS, lambda children: st.lists(children, max_size=4)
                      | st.dictionaries(st.text(max_size=8), children, max_size=4), max_leaves=12)


def dump(value: Any) -> str:
    """JSON text for ``value``, with :class:`Raw` pieces inserted verbatim."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dump(v) for v in value) + "]"
    return json.dumps(value)


def bodies(valid: dict[str, Any], fields: list[str]) -> st.SearchStrategy[bytes]:
    """A valid body with some fields replaced or added, or bytes that are hardly JSON."""
    changed = st.dictionaries(st.sampled_from(fields), VALUES, max_size=3).map(
        lambda override: dump({**valid, **override}).encode("utf-8", "surrogatepass"))
    return changed | VALUES.map(lambda v: dump(v).encode("utf-8", "surrogatepass")) | st.binary(
        max_size=200)


@pytest.fixture(scope="module")
def fuzz(web_world: WebWorld) -> tuple[TestClient, str, int, int]:
    """A marketer of a company of its own (the other tests' lists stay as they were)."""
    from workbench.webapp.accounts import add_user
    from workbench.webapp.store import Store, db_path

    add_user(Store(db_path(web_world.root)), FUZZER, company="Fuzz Co", role="marketer",
             password=PASSWORD)
    client = TestClient(create_app(web_world.root, web_world.cfg), raise_server_exceptions=False)
    response = client.post("/login", data={"email": FUZZER, "password": PASSWORD,
                                           "csrf_token": csrf_of(client.get("/login").text)},
                           follow_redirects=False)
    assert response.status_code == 303
    csrf = client.get("/api/me").json()["csrf_token"]
    row = client.post("/api/briefs", json=VALID_BRIEF, headers={"x-csrf-token": csrf}).json()["id"]
    made = client.post(f"/api/briefs/{row}/generations", json={"model": "template", "n": 2},
                       headers={"x-csrf-token": csrf})
    assert made.status_code == 201, made.text
    return client, csrf, row, made.json()["id"]


def post_json(client: TestClient, csrf: str, path: str, body: bytes) -> Any:
    return client.post(path, content=body, headers={"x-csrf-token": csrf,
                                                    "content-type": "application/json"})


def assert_handled(response: Any, ok: set[int]) -> None:
    """A success status, or a 4xx whose message is one short line."""
    assert response.status_code < 500, response.text[:500]
    assert response.status_code in ok or 400 <= response.status_code < 500, response.status_code
    if response.status_code >= 400 and "json" in response.headers.get("content-type", ""):
        detail = response.json()["detail"]
        assert isinstance(detail, str)
        assert "\n" not in detail
        assert len(detail) < 400


@FUZZ
@given(body=bodies(VALID_BRIEF, BRIEF_FIELDS))
@example(body=b'{"\\n": false}')  # an unknown key with a line break: once a two-line message
def test_json_briefs_never_crash(fuzz: tuple[TestClient, str, int, int], body: bytes) -> None:
    client, csrf, _, _ = fuzz
    response = post_json(client, csrf, "/api/briefs", body)
    assert_handled(response, {201})
    if response.status_code == 201:  # what was stored reads back
        assert client.get(f"/api/briefs/{response.json()['id']}").status_code == 200


@FUZZ
@given(body=bodies({"model": "template", "n": 1}, ["model", "n", "extra"]))
def test_generation_requests_never_crash(fuzz: tuple[TestClient, str, int, int],
                                         body: bytes) -> None:
    client, csrf, row, _ = fuzz
    assert_handled(post_json(client, csrf, f"/api/briefs/{row}/generations", body), {201})


@FUZZ
@given(body=bodies({"candidate_index": 0}, ["candidate_index", "extra"]))
def test_picks_never_crash(fuzz: tuple[TestClient, str, int, int], body: bytes) -> None:
    client, csrf, _, gen_id = fuzz
    assert_handled(post_json(client, csrf, f"/api/generations/{gen_id}/pick", body), {200})


YAML_TEXTS = st.sampled_from([
    "brand: [unclosed\n",
    "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: &d [*c, *c]\nbrand: [*d, *d, *d]\n",
    "contact: " + "9" * 5000 + "\n",
    "brand: " + "[" * 5000 + "]" * 5000 + "\n",
    "!!python/object/apply:os.system ['true']\n",
    "brand: !!binary aGVsbG8=\n",
    "- just\n- a\n- list\n",
    "brand: 1e400\nproduct: .nan\n",
    "\ufeffbrand: x\n",
    "brand: \"\\ud800\"\n",
])


@FUZZ
@given(text=st.one_of(
    YAML_TEXTS,
    st.dictionaries(st.sampled_from(BRIEF_FIELDS), st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
        max_leaves=8), max_size=4).map(
        lambda override: yaml.safe_dump({**VALID_BRIEF, **override}, allow_unicode=True)),
    st.text(max_size=300)),
    encoding=st.sampled_from(["utf-8", "utf-16", "latin-1"]))
def test_uploaded_yaml_briefs_never_crash(fuzz: tuple[TestClient, str, int, int], text: str,
                                          encoding: str) -> None:
    client, csrf, _, _ = fuzz
    data = text.encode(encoding, "surrogatepass" if encoding == "utf-8" else "replace")
    response = client.post("/studio/briefs", data={"csrf_token": csrf, "model": "template",
                                                   "n": "1"},
                           files={"brief_file": ("brief.yaml", data, "text/yaml")},
                           follow_redirects=False)
    assert_handled(response, {303})
