"""``web:`` section of ``workbench.yaml``: how ``workbench serve`` binds, signs in and throttles."""

from __future__ import annotations

from pydantic import Field

from workbench.core.strict_model import StrictModel


class WebConfig(StrictModel):
    """``workbench serve`` settings."""

    host: str = Field(default="127.0.0.1", description="Bind address (loopback by default).")
    port: int = Field(default=8400, ge=1, le=65535, description="TCP port.")
    secure_cookies: bool | None = Field(
        default=None,
        description="Mark cookies Secure (HTTPS only). Default: on unless bound to loopback; "
        "behind a TLS proxy set it to true.",
    )
    session_idle_minutes: int = Field(default=120, ge=1, description="Idle time that ends a session.")
    session_max_hours: int = Field(default=12, ge=1, description="Age that ends a session anyway.")
    login_window_minutes: int = Field(default=15, ge=1, description="Window of the login throttle.")
    max_failures_per_email: int = Field(
        default=5, ge=1, description="Failed sign-ins per e-mail in the window before refusing.")
    max_failures_per_client: int = Field(
        default=20, ge=1, description="Failed sign-ins per client address in the window.")
    models: list[str] | None = Field(
        default=None,
        description="Registry names the studio offers (default: every available model).")
    max_candidates: int = Field(default=6, ge=1, le=20, description="Most candidates per request.")
    generation_workers: int = Field(
        default=2, ge=1, description="Generations running at once (the rest wait their turn).")
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024,
        description="Largest request body, counted as it arrives (chunked too); more gets 413.")
    password_checks_at_once: int = Field(
        default=2, ge=1,
        description="Argon2 verifications running at once (64 MiB each); more sign-ins wait.")
    password_checks_waiting: int = Field(
        default=16, ge=0,
        description="Sign-ins that may wait for a verification slot; more get 503 at once.")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses of reverse proxies whose X-Forwarded-For/-Proto are believed "
        "(default none: the client address is the connection's, so a header cannot dodge the "
        "sign-in throttle). '*' trusts any.")
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Origins (scheme://host[:port]) accepted on state-changing requests besides "
        "the app's own Host, e.g. the public URL when a proxy rewrites Host.")
