"""What a request that changes anything passes before the application reads its body: valid
credentials, checked from its headers and cookie alone (else 401 or 403 at once), and a size
limit enforced while the body streams in (413 as soon as it is passed)."""

import hmac

from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ftz import problems
from ftz.auth import service as accounts
from ftz.config import get_settings
from ftz.database import get_engine
from ftz.deps import CSRF_HEADER, SAFE_METHODS, expected_csrf, session_token
from ftz.errors import Forbidden, FtzError, TooLarge, Unauthorized

# The only changes a caller without credentials may send: logging in, and logging out (which
# works whatever state the session is in).
ANONYMOUS = {"/api/v1/session", "/login", "/logout"}
# Multipart framing around an uploaded file, on top of the file's own limit.
FRAMING = 64 * 1024


def takes_files(path: str) -> bool:
    """Whether a route receives files (the upload limit), rather than a form or JSON."""
    if path == "/uploads" or path.startswith("/api/v1/uploads/") or path.endswith("/answers"):
        return True
    # an examination's result, with its photo or report (the service bounds the attachment)
    return path.startswith("/examinations/") or (path.startswith("/api/v1/examinations/") and path.endswith("/result"))


class Guard:
    """ASGI middleware: authenticate and bound a request's body before the application reads it."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        request = Request(scope)  # headers and cookie only: the body is not touched here
        settings = get_settings()
        limit = settings.upload_max_bytes + FRAMING if takes_files(request.url.path) else settings.form_max_bytes
        refusal = None
        if request.url.path not in ANONYMOUS:
            refusal = await run_in_threadpool(_unauthenticated, request)
        length = request.headers.get("content-length", "")
        if refusal is None and length.isdigit() and int(length) > limit:
            refusal = _refuse(request, _too_large(limit))
        if refusal is not None:
            # Closing the connection spares the server from reading the body it refused.
            refusal.headers["Connection"] = "close"
            await refusal(scope, receive, send)
            return
        await _Limited(self.app, limit)(scope, receive, send)


class _Limited:
    """One request whose body is cut off past ``limit`` bytes: the application sees the client
    go away, and the client gets 413 instead of whatever the application then answers."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit
        self.received, self.over, self.started = 0, False, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def limited_receive() -> Message:
            if self.over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                if self.received > self.limit:
                    self.over = True
                    raise _too_large(self.limit)
            return message

        async def guarded_send(message: Message) -> None:
            if self.over:
                return  # the 413 below replaces the application's answer
            if message["type"] == "http.response.start":
                self.started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not self.over:
                raise
        if self.over and not self.started:
            response = _refuse(Request(scope), _too_large(self.limit))
            response.headers["Connection"] = "close"
            await response(scope, receive, send)


def _too_large(limit: int) -> TooLarge:
    return TooLarge(f"the request is larger than the {limit:,} bytes allowed")


def _unauthenticated(request: Request) -> Response | None:
    """The refusal for a request without valid credentials, else None. Nothing is written: the
    handler authenticates again, and notes a token's use."""
    try:
        with Session(get_engine()) as db:
            if not request.url.path.startswith("/api/"):
                token = session_token(request)
                if token is None:
                    raise Unauthorized("log in first")
                accounts.caller_from_session(db, token=token)
                return None  # a form's CSRF token is in its body: the handler checks it
            authorization = request.headers.get("authorization")
            if authorization:
                scheme, _, token = authorization.partition(" ")
                if scheme.lower() != "bearer" or not token.strip():
                    raise Unauthorized("send an API token as: Authorization: Bearer <token>")
                accounts.caller_from_token(db, token=token.strip())
                db.rollback()  # the token's last use is noted by the handler, not here
                return None
            token = session_token(request)
            if token is None:
                raise Unauthorized("log in, or send an API token (Authorization: Bearer <token>)")
            accounts.caller_from_session(db, token=token)
            if not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), expected_csrf(token)):
                raise Forbidden(f"missing or wrong CSRF token (send the {CSRF_HEADER} header)")
            return None
    except (Unauthorized, Forbidden) as exc:
        return _refuse(request, exc)


def _refuse(request: Request, exc: FtzError) -> Response:
    return problems.from_error(exc) if problems.is_api(request) else problems.page_error(request, exc)
