"""Logging in and out in a browser. Every form carries a CSRF token: before login, bound to a
pre-session cookie (double submit); after, derived from the session."""

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ftz.auth import service as accounts
from ftz.deps import SESSION_COOKIE, DbDep, expected_csrf, secret_key, session_token, set_session_cookie
from ftz.errors import Forbidden, Throttled, Unauthorized
from ftz.web.pages import render

router = APIRouter(include_in_schema=False)
LOGIN_COOKIE = "ftz_login"


def _login_csrf(nonce: str) -> str:
    return hmac.new(secret_key().encode(), b"login:" + nonce.encode(), "sha256").hexdigest()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    response = render(request, "auth/login.html", {"login_csrf": _login_csrf(nonce), "error": error},
                      status_code=status_code)  # fmt: skip
    secure = request.url.scheme == "https"
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, httponly=True, samesite="strict", secure=secure)
    return response


@router.post("/login")
def login(
    request: Request,
    db: DbDep,
    name: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
):
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not hmac.compare_digest(csrf_token, _login_csrf(nonce)):
        return login_page(request, "The form had expired: please log in again.", status_code=403)
    address = request.client.host if request.client else None
    try:
        _, token = accounts.login(db, name=name, password=password, address=address)
    except Unauthorized:
        return login_page(request, "Wrong account name or password.", status_code=401)
    except Throttled as exc:
        return login_page(request, str(exc).capitalize() + ".", status_code=429)
    db.commit()
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(response, request, token)
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, db: DbDep):
    token = session_token(request)
    try:
        caller = accounts.caller_from_session(db, token=token) if token else None
    except Unauthorized:
        caller = None
    if caller is None:
        return RedirectResponse("/login", status_code=303)
    request.state.caller, request.state.csrf = caller, expected_csrf(token)
    return render(request, "auth/account.html")


@router.post("/logout")
def logout(request: Request, db: DbDep, csrf_token: Annotated[str, Form(max_length=200)] = ""):
    token = session_token(request)
    if token and not hmac.compare_digest(csrf_token, expected_csrf(token)):
        raise Forbidden("the form had expired: reload the page and log out again")
    if token:
        accounts.logout(db, token=token)
        db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
