"""What handlers declare they need: a database session, the caller, the settings."""

import hmac
import os
import secrets
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Path, Query, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Engine
from sqlmodel import Session

from ftz.auth import service as accounts
from ftz.auth.scope import Caller
from ftz.config import Settings, get_settings
from ftz.database import MAX_ID, get_engine
from ftz.errors import Forbidden, Unauthorized

SESSION_COOKIE = "ftz_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_db() -> Iterator[Session]:
    """A session per request; handlers that change data commit it."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


def secret_key() -> str:
    """The key that signs cookies and CSRF tokens (FTZ_SECRET_KEY, else one kept in the data folder)."""
    settings = get_settings()
    return settings.secret_key or _kept_key(settings.data_dir.resolve())


@lru_cache
def _kept_key(data_dir: FilePath) -> str:
    path = data_dir / "secret_key"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        # Created once, readable by the service's account alone.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
        handle.flush()
        os.fsync(handle.fileno())
    return path.read_text().strip()


def signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(), salt="ftz-session")


def session_token(request: Request) -> str | None:
    """The session token of the request's cookie, if it carries a validly signed one."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        return signer().loads(cookie, max_age=int(get_settings().session_hours * 3600))
    except BadSignature:
        return None


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    """Hand the browser its session: signed, HttpOnly, SameSite=Strict, Secure over HTTPS."""
    response.set_cookie(
        SESSION_COOKIE,
        signer().dumps(token),
        max_age=int(get_settings().session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def expected_csrf(token: str) -> str:
    return accounts.csrf_token(secret_key(), token)


def get_caller(request: Request, background: BackgroundTasks, db: Annotated[Session, Depends(get_db)]) -> Caller:
    """The caller: an API token (Authorization: Bearer) or a session cookie; a cookie-borne
    request that changes anything must also carry the session's CSRF token."""
    authorization = request.headers.get("authorization")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send an API token as: Authorization: Bearer <token>")
        caller = accounts.caller_from_token(db, token=token.strip())
        if caller.token_used is not None:
            token_id, at = caller.token_used
            background.add_task(accounts.note_token_use, get_engine(), token_id=token_id, at=at)
        return caller
    token = session_token(request)
    if token is None:
        raise Unauthorized("log in, or send an API token (Authorization: Bearer <token>)")
    caller = accounts.caller_from_session(db, token=token)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent, expected_csrf(token)):
            raise Forbidden(f"missing or wrong CSRF token (send the {CSRF_HEADER} header)")
    return caller


def get_web_caller(request: Request, db: Annotated[Session, Depends(get_db)]) -> Caller:
    """The caller of a web page: the session's, else Unauthorized (which sends the browser to
    the login page). The page's CSRF token is kept for the templates."""
    token = session_token(request)
    if token is None:
        raise Unauthorized("log in first")
    caller = accounts.caller_from_session(db, token=token)
    request.state.caller, request.state.csrf = caller, expected_csrf(token)
    return caller


async def check_web_csrf(request: Request) -> None:
    """A form (or htmx request) that changes anything carries the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    token = session_token(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        sent = str(form.get("csrf_token", ""))
    if token is None or not hmac.compare_digest(sent, expected_csrf(token)):
        raise Forbidden("the form had expired: reload the page and try again")


def engine() -> Engine:
    return get_engine()


RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="The record's id", examples=[42])]
BeforeId = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only records with a smaller id (the next page)")]
DbDep = Annotated[Session, Depends(get_db)]
CallerDep = Annotated[Caller, Depends(get_caller)]
WebCallerDep = Annotated[Caller, Depends(get_web_caller)]
EngineDep = Annotated[Engine, Depends(engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
