"""Limits that only a real ``workbench serve`` (uvicorn on 127.0.0.1) can show.

- A burst of wrong passwords for one e-mail, sent at once, gets the throttle's limit of password
  checks and 429 for the rest; a burst of sign-ins for many e-mails runs its Argon2 checks a few
  at a time, so the server's peak memory stays far below one 64 MiB check per request.
- ``X-Forwarded-For`` is ignored unless a proxy is configured: changing it does not reset the
  per-client limit; from a configured proxy it names the client.
- A chunked body is counted as it arrives: 413 once over the limit, and a post without a session
  is refused before its body is read.

Each server gets its own data dir with accounts made by ``workbench users add`` (the stage that
makes them); the statuses are counted, never timed.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.webapp_world import csrf_of, start_serve
from workbench.webapp.store import db_path

PASSWORD = "correct horse battery staple"
MARKETER = "hanna@abebe.et"
MIB = 1024 * 1024


@dataclass
class Server:
    url: str
    root: Path
    proc: subprocess.Popen[bytes]
    log: Path

    def peak_rss_mib(self) -> float:
        """The server process's peak resident memory so far (VmHWM), in MiB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmHWM in /proc status")

    def forget_failures(self) -> None:
        with sqlite3.connect(db_path(self.root)) as db:
            db.execute("DELETE FROM login_failures")


def workbench(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbench", *args], input=stdin,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def make_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    started: list[Server] = []

    def start(web_config: str) -> Server:
        root = tmp_path_factory.mktemp("serve")
        config = root / "workbench.yaml"
        config.write_text(web_config, encoding="utf-8")
        added = workbench("users", "add", MARKETER, "--company", "Abebe Shoes", "--role",
                          "marketer", "--password-stdin", "--data-dir", str(root),
                          stdin=PASSWORD + "\n")
        assert added.returncode == 0, added.stderr
        log = root / "serve.log"
        url, proc = start_serve(root, config, log)
        server = Server(url=url, root=root, proc=proc, log=log)
        started.append(server)
        return server

    yield start
    for server in started:
        server.proc.terminate()
        server.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def server(make_server: object) -> Server:
    """Limits small enough to reach: 5 failures per e-mail, 12 per client, one check at once."""
    return make_server("web:\n  max_failures_per_email: 5\n  max_failures_per_client: 12\n"  # type: ignore[operator]
                       "  password_checks_at_once: 1\n  password_checks_waiting: 64\n")


def login_form(server: Server) -> tuple[httpx.Client, str]:
    """A client holding the sign-in form's CSRF cookie, and the form's token."""
    client = httpx.Client(base_url=server.url, timeout=120)
    return client, csrf_of(client.get("/login").text)


def burst(server: Server, attempts: list[tuple[str, str]],
          headers: list[dict[str, str]] | None = None) -> Counter[int]:
    """Post every (e-mail, password) sign-in at the same moment; the count of each status."""
    forms = [login_form(server) for _ in attempts]
    start = threading.Barrier(len(attempts))

    def post(i: int) -> int:
        client, csrf = forms[i]
        start.wait()
        email, password = attempts[i]
        response = client.post("/login", data={"email": email, "password": password,
                                               "csrf_token": csrf},
                               headers=(headers or [{}] * len(attempts))[i])
        client.close()
        return response.status_code

    with ThreadPoolExecutor(len(attempts)) as pool:
        return Counter(pool.map(post, range(len(attempts))))


def sign_in(server: Server) -> tuple[httpx.Client, str]:
    client, csrf = login_form(server)
    response = client.post("/login", data={"email": MARKETER, "password": PASSWORD,
                                           "csrf_token": csrf})
    assert response.status_code == 303, response.text[:300]
    return client, client.get("/api/me").json()["csrf_token"]


def test_a_burst_of_wrong_passwords_gets_the_limit_of_checks(server: Server) -> None:
    server.forget_failures()
    statuses = burst(server, [(MARKETER, f"wrong guess {i}") for i in range(30)])
    assert statuses == Counter({401: 5, 429: 25})
    # The right password now waits too, like any other attempt for the e-mail.
    client, csrf = login_form(server)
    blocked = client.post("/login", data={"email": MARKETER, "password": PASSWORD,
                                          "csrf_token": csrf})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0


def test_forwarded_for_does_not_reset_the_client_limit(server: Server) -> None:
    server.forget_failures()
    for i in range(12):  # the per-client limit, each from a "different" forwarded address
        client, csrf = login_form(server)
        response = client.post("/login", headers={"X-Forwarded-For": f"203.0.113.{i}"},
                               data={"email": f"guess{i}@abebe.et", "password": "wrong guess",
                                     "csrf_token": csrf})
        assert response.status_code == 401
    client, csrf = login_form(server)
    response = client.post("/login", headers={"X-Forwarded-For": "198.51.100.7",
                                              "Forwarded": "for=198.51.100.7"},
                           data={"email": MARKETER, "password": PASSWORD, "csrf_token": csrf})
    assert response.status_code == 429
    server.forget_failures()
    assert sign_in(server)[0].get("/api/me").status_code == 200


def test_a_configured_proxy_is_believed(make_server: object) -> None:
    server = make_server("web:\n  max_failures_per_client: 3\n"  # type: ignore[operator]
                         "  trusted_proxies: [127.0.0.1]\n")

    def attempt(forwarded_for: str, email: str) -> int:
        client, csrf = login_form(server)
        return client.post("/login", headers={"X-Forwarded-For": forwarded_for},
                           data={"email": email, "password": "wrong guess",
                                 "csrf_token": csrf}).status_code

    assert [attempt("203.0.113.1", f"guess{i}@x.et") for i in range(3)] == [401, 401, 401]
    assert attempt("203.0.113.1", "guess9@x.et") == 429  # that client's limit
    assert attempt("203.0.113.2", "guess9@x.et") == 401  # another client behind the proxy
    assert "believing X-Forwarded-For/-Proto from 127.0.0.1" in server.log.read_text()


def test_many_sign_ins_at_once_run_their_password_checks_a_few_at_a_time(
        make_server: object) -> None:
    server = make_server("web:\n  max_failures_per_client: 1000\n"  # type: ignore[operator]
                         "  password_checks_at_once: 1\n  password_checks_waiting: 64\n")
    assert burst(server, [(f"nobody{i}@x.et", "wrong") for i in range(3)]) == Counter({401: 3})
    before = server.peak_rss_mib()
    statuses = burst(server, [(f"someone{i}@x.et", "a wrong password") for i in range(40)])
    assert statuses == Counter({401: 40})  # every one checked, none refused
    # One Argon2 check holds 64 MiB: 40 at once would add about 2.5 GiB; one at a time, 64 MiB.
    grown = server.peak_rss_mib() - before
    print(f"peak RSS {before:.0f} MiB before, +{grown:.0f} MiB during 40 sign-ins at once")
    assert grown < 320, f"peak memory grew {grown:.0f} MiB during the burst"


def chunks(total: int, sent: list[int], head: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    """A chunked body of ``total`` bytes that records how much of it was handed to the socket."""
    yield head
    piece = b"x" * size
    while sent[0] < total:
        sent[0] += len(piece)
        yield piece


JSON_HEAD = b'{"brand": "'
MULTIPART_HEAD = (b'--xyz\r\nContent-Disposition: form-data; name="brief_file"; '
                  b'filename="big.yaml"\r\nContent-Type: text/yaml\r\n\r\nnotes: ')


def test_a_chunked_body_is_counted_as_it_arrives(server: Server) -> None:
    server.forget_failures()
    before = server.peak_rss_mib()
    # Without a session: refused before the body is read.
    sent = [0]
    anonymous = httpx.post(f"{server.url}/api/briefs", content=chunks(200 * MIB, sent, JSON_HEAD),
                           headers={"content-type": "application/json"}, timeout=120)
    assert anonymous.status_code == 401
    assert anonymous.json() == {"detail": "sign in first"}
    assert sent[0] < 64 * MIB  # socket buffers at most, never the 200 MiB
    # Signed in: read up to the limit (1 MiB), then 413.
    client, csrf = sign_in(server)
    for path, content_type, head in (
            ("/api/briefs", "application/json", JSON_HEAD),
            ("/studio/briefs", "multipart/form-data; boundary=xyz", MULTIPART_HEAD)):
        sent = [0]
        response = client.post(path, content=chunks(200 * MIB, sent, head),
                               headers={"content-type": content_type, "x-csrf-token": csrf})
        assert response.status_code == 413, (path, response.text[:300])
        assert "request body over 1048576 bytes" in response.text
        assert sent[0] < 64 * MIB
    assert server.peak_rss_mib() - before < 100
    # The server is still healthy.
    assert client.get("/api/briefs").status_code == 200


def test_bad_proxy_setting_is_one_line(tmp_path: Path) -> None:
    bad = workbench("serve", "--forwarded-allow-ips", "10.0.0.5,not-an-address",
                    "--data-dir", str(tmp_path))
    assert bad.returncode == 2, bad.stderr
    assert "trusted proxy 'not-an-address' is not an IP address" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_a_full_waiting_line_is_refused_without_a_check(monkeypatch: pytest.MonkeyPatch) -> None:
    import anyio

    from workbench.webapp import passwords

    release = threading.Event()
    checked: list[str] = []

    def slow_verify(encoded: str, password: str) -> bool:
        release.wait(60)
        checked.append(password)
        return True

    monkeypatch.setattr(passwords, "verify_password", slow_verify)
    checks = passwords.PasswordChecks(at_once=1, waiting=2)

    async def main() -> None:
        async with anyio.create_task_group() as group:
            for i in range(3):  # one runs, two wait
                group.start_soon(checks.verify, "hash", f"p{i}")
            while checks.limiter.statistics().tasks_waiting < 2:
                await anyio.sleep(0.01)
            with pytest.raises(passwords.PasswordChecksBusyError):
                await checks.verify("hash", "one too many")
            release.set()

    anyio.run(main)
    assert sorted(checked) == ["p0", "p1", "p2"]


def test_the_log_is_one_line_per_request_without_start_up_chatter(server: Server) -> None:
    """uvicorn repeated the URL line `serve` prints in four lines of its own; requests are one
    timestamped line each."""
    client, _ = login_form(server)
    client.get("/login")
    log = server.log.read_text()
    assert "workbench web app on http://127.0.0.1:" in log
    for chatter in ("Started server process", "Waiting for application startup",
                    "Application startup complete", "Uvicorn running on"):
        assert chatter not in log, chatter
    assert re.search(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ 127\.0\.0\.1:\d+ "GET /login HTTP/1\.1" 200 OK$',
                     log, re.M), log[-2000:]
