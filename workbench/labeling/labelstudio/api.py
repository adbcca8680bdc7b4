"""A small typed client for the Label Studio REST API calls the workbench makes.

Plain ``httpx`` rather than ``label_studio_sdk``: the SDK wraps every task in a pydantic model
(listing 10,000 tasks took 27 s through it vs 4 s raw here) and costs ~3 s to import. Every
failure becomes one ServiceError line naming the call, the HTTP status and the server's message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx

from workbench.core.errors import ServiceError
from workbench.labeling.labelstudio.server import Credentials

#: Label Studio limits project titles to 50 characters.
MAX_TITLE = 50

#: What :meth:`LabelStudioApi.request` returns for an HTTP 404 when told it may be missing.
MISSING = object()


class LabelStudioApi:
    """Authenticated calls to one Label Studio server.

    Parameters
    ----------
    creds
        URL and token (``DIR/labelstudio/credentials.json``).
    timeout
        Seconds per call (an import or an export of thousands of tasks takes a while).
    """

    def __init__(self, creds: Credentials, *, timeout: float = 600.0) -> None:
        self.url = creds.url
        self._client = httpx.Client(
            base_url=creds.url, headers={"Authorization": f"Token {creds.token}"},
            timeout=httpx.Timeout(timeout, connect=10.0),
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> LabelStudioApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing ------------------------------------------------------------------------------

    def request(self, method: str, path: str, *, missing_ok: bool = False, **kwargs: Any) -> Any:
        """One call; JSON body back (None for 204). Errors become one-line ServiceErrors.

        ``missing_ok``: an HTTP 404 returns :data:`MISSING` instead of raising.
        """
        try:
            resp = self._client.request(method, path, **kwargs)
        except httpx.ConnectError:
            msg = f"Label Studio is not reachable at {self.url}; start it: workbench label serve"
            raise ServiceError(msg) from None
        except httpx.TimeoutException:
            msg = f"Label Studio at {self.url} timed out on {method} {path}; run the command again"
            raise ServiceError(msg) from None
        except httpx.HTTPError as exc:
            msg = f"Label Studio at {self.url}: {method} {path} failed: {exc}"
            raise ServiceError(msg) from None
        if resp.status_code == 404 and missing_ok:
            return MISSING
        if resp.status_code >= 400:
            msg = f"Label Studio at {self.url}: {method} {path} -> HTTP {resp.status_code}: {_detail(resp)}"
            raise ServiceError(msg)
        if resp.status_code == 204 or not resp.content:
            return None
        return resp.json()

    # --- projects ------------------------------------------------------------------------------

    def projects(self, title_contains: str | None = None) -> list[dict[str, Any]]:
        """Every project visible to the token's user (optionally: whose title contains a text).

        Filtering on the server matters: the full listing computes counters for every project
        (5 s with 23 projects of up to 10,000 tasks here, 0.3 s filtered).
        """
        out: list[dict[str, Any]] = []
        page = 1
        params: dict[str, Any] = {"page_size": 100}
        if title_contains:
            params["title"] = title_contains
        while True:
            body = self.request("GET", "/api/projects/", params={**params, "page": page})
            results = body["results"] if isinstance(body, dict) else body
            out.extend(results)
            if not isinstance(body, dict) or not body.get("next"):
                return out
            page += 1

    def project(self, project_id: int) -> dict[str, Any]:
        """One project (with counters: task_number, num_tasks_with_annotations...)."""
        return self.request("GET", f"/api/projects/{project_id}")

    def create_project(self, **fields: Any) -> dict[str, Any]:
        """Create a project."""
        return self.request("POST", "/api/projects/", json=fields)

    def update_project(self, project_id: int, **fields: Any) -> dict[str, Any]:
        """PATCH a project's settings (config, overlap, instructions...)."""
        return self.request("PATCH", f"/api/projects/{project_id}", json=fields)

    # --- tasks ---------------------------------------------------------------------------------

    def iter_tasks(
        self, project_id: int, *, include: str = "id,data", page_size: int = 1000
    ) -> Iterator[dict[str, Any]]:
        """Every task of a project with only the ``include`` fields (the cheap listing).

        ``fields=all`` is needed for computed columns such as ``predictions_model_versions``;
        with ``include`` naming few fields it stays cheap (~0.5 s per 1,000 tasks).
        """
        page = 1
        while True:
            try:
                body = self.request("GET", "/api/tasks", params={
                    "project": project_id, "page": page, "page_size": page_size,
                    "fields": "all", "include": include,
                })
            except ServiceError as exc:
                # Past the last page Label Studio answers 404.
                if "HTTP 404" in str(exc):
                    return
                raise
            tasks = body.get("tasks", [])
            yield from tasks
            if len(tasks) < page_size:
                return
            page += 1

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> dict[str, Any]:
        """Bulk-import tasks (with inline predictions/annotations) in one call."""
        return self.request("POST", f"/api/projects/{project_id}/import", json=tasks,
                            params={"return_task_ids": "false"})

    def import_predictions(self, project_id: int, predictions: list[dict[str, Any]]) -> Any:
        """Bulk-add predictions to existing tasks (each names its ``task`` id)."""
        return self.request("POST", f"/api/projects/{project_id}/import/predictions", json=predictions)

    def delete_predictions(self, project_id: int, task_ids: list[int]) -> None:
        """Delete every prediction of these tasks in one call (the Data Manager action).

        One call instead of a GET and a DELETE per prediction: a refresh replaces thousands.
        """
        if not task_ids:
            return
        self.request("POST", "/api/dm/actions",
                     params={"id": "delete_tasks_predictions", "project": project_id},
                     json={"selectedItems": {"all": False, "included": task_ids}})

    def predictions(self, task_id: int) -> list[dict[str, Any]]:
        """The predictions of one task."""
        body = self.request("GET", "/api/predictions/", params={"task": task_id})
        return body["results"] if isinstance(body, dict) else body

    def update_task(self, task_id: int, *, data: dict[str, Any]) -> dict[str, Any]:
        """Replace a task's data (an edited message's new text)."""
        return self.request("PATCH", f"/api/tasks/{task_id}", json={"data": data})

    def delete_task(self, task_id: int) -> None:
        """Delete one task."""
        self.request("DELETE", f"/api/tasks/{task_id}/")

    # --- annotations ---------------------------------------------------------------------------

    def export_annotated(self, project_id: int) -> list[dict[str, Any]]:
        """Every task that has annotations, with full annotation objects (JSON export)."""
        return self.request("GET", f"/api/projects/{project_id}/export",
                            params={"exportType": "JSON", "download_all_tasks": "false"})

    def create_annotation(self, task_id: int, result: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        """Create an annotation as the token's user (``completed_by`` may name another user)."""
        return self.request("POST", f"/api/tasks/{task_id}/annotations/",
                            json={"result": result, **extra})

    # --- users ---------------------------------------------------------------------------------

    def users(self) -> list[dict[str, Any]]:
        """Users of the organisation."""
        body = self.request("GET", "/api/users/", params={"page_size": 10000})
        return body["results"] if isinstance(body, dict) else body

    def whoami(self) -> dict[str, Any]:
        """The token's user."""
        return self.request("GET", "/api/current-user/whoami")

    def remove_member(self, user_id: int) -> bool:
        """Take a user out of the admin's organisation (Label Studio's soft delete).

        The account keeps its annotations but can no longer open the organisation's projects.
        Returns False when the user was already removed.
        """
        org = self.whoami().get("active_organization")
        path = f"/api/organizations/{org}/memberships/{user_id}/"
        return self.request("DELETE", path, missing_ok=True) is not MISSING

    def invite_token(self) -> str:
        """The organisation's invite token (sign-up needs it when sign-up without link is off)."""
        return self.request("GET", "/api/invite")["token"]


def _detail(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return re.sub(r"\s+", " ", resp.text)[:300]
    if isinstance(body, dict):
        detail = body.get("validation_errors") or body.get("detail") or body
        return re.sub(r"\s+", " ", str(detail))[:300]
    return str(body)[:300]


def signup(url: str, invite: str, email: str, password: str, *, timeout: float = 60.0) -> str:
    """Create a user through Label Studio's sign-up form; returns the new user's API token.

    Label Studio's REST API creates users without a password, so annotators could not log in;
    the sign-up form (with the organisation's invite token) is the supported way.

    Raises
    ------
    ServiceError
        The form refused (e.g. the user exists, a weak password); the message says why.
    """
    with httpx.Client(base_url=url, follow_redirects=False, timeout=timeout) as client:
        try:
            client.get("/user/signup/", params={"token": invite})
            csrf = client.cookies.get("csrftoken")
            resp = client.post(
                "/user/signup/", params={"token": invite},
                data={"email": email, "password": password, "csrfmiddlewaretoken": csrf or ""},
                headers={"Referer": f"{url}/user/signup/"},
            )
        except httpx.HTTPError as exc:
            msg = f"Label Studio at {url}: sign-up of {email} failed: {exc}"
            raise ServiceError(msg) from None
        if resp.status_code != 302:
            blocks = re.findall(r'class="field_errors">(.*?)</ul>', resp.text, flags=re.S)
            errors = [e.strip() for b in blocks for e in re.findall(r"<li>(.*?)</li>", b, flags=re.S)]
            why = "; ".join(errors) or f"HTTP {resp.status_code}"
            msg = f"Label Studio refused to sign up {email}: {why}"
            raise ServiceError(msg)
        token = client.get("/api/current-user/token")
        if token.status_code != 200:
            msg = f"Label Studio at {url}: no API token for {email} (HTTP {token.status_code})"
            raise ServiceError(msg)
        return str(token.json()["token"])
