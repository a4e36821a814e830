"""Domain errors as RFC 9457 problem details: one JSON shape for every error the API returns."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from ftz.errors import (
    AlreadyExists,
    Conflict,
    Forbidden,
    FtzError,
    InvalidInput,
    NotFound,
    Throttled,
    TooLarge,
    Unauthorized,
)
from ftz.web.pages import render

log = logging.getLogger("ftz.api")

# Most specific first: TooLarge is an InvalidInput.
STATUS: list[tuple[type[FtzError], int, str]] = [
    (TooLarge, 413, "Too large"),
    (NotFound, 404, "Not found"),
    (AlreadyExists, 409, "Already exists"),
    (Conflict, 409, "Conflict"),
    (InvalidInput, 422, "Invalid input"),
    (Unauthorized, 401, "Not authenticated"),
    (Forbidden, 403, "Forbidden"),
    (Throttled, 429, "Too many attempts"),
]
MEDIA_TYPE = "application/problem+json"


def problem(status: int, title: str, detail: str, headers: dict | None = None, **extra) -> JSONResponse:
    """A problem-details response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def from_error(exc: FtzError) -> JSONResponse:
    """The response for a domain error."""
    for kind, status, title in STATUS:
        if isinstance(exc, kind):
            headers = None
            if isinstance(exc, Unauthorized):
                headers = {"WWW-Authenticate": 'Bearer realm="ftz"'}
            elif isinstance(exc, Throttled):
                headers = {"Retry-After": str(exc.retry_after)}
            return problem(status, title, str(exc), headers)
    return problem(400, "Bad request", str(exc))


def register(app: FastAPI) -> None:
    """Install the handlers that turn every error into a problem."""

    @app.exception_handler(FtzError)
    async def domain_error(request: Request, exc: FtzError) -> Response:
        if is_api(request):
            return from_error(exc)
        return page_error(request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"location": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors()
        ]
        if not is_api(request):  # a form's field, named as the page names it (no "body." before it)
            fields = [f"{e['location'].removeprefix('body.').removeprefix('query.')}: {e['message']}" for e in errors]
            return page_error(request, InvalidInput("; ".join(fields[:5])))
        detail = "; ".join(f"{e['location']}: {e['message']}" for e in errors[:5])
        return problem(422, "Invalid request", detail, errors=errors)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if not is_api(request):
            return page(request, exc.status_code, _title(exc.status_code), str(exc.detail))
        return problem(exc.status_code, _title(exc.status_code), str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(DataError)
    async def unstorable(request: Request, exc: DataError) -> Response:
        # What the database refuses to hold (a NUL character, a number past its range) is the
        # request's fault, not the server's.
        detail = "a value in the request cannot be stored (a NUL character, or out of range)"
        return _told(request, 422, "Invalid input", detail)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _told(request, 500, "Internal error", "the server failed on this request; it has been logged")


def _told(request: Request, status: int, title: str, detail: str) -> Response:
    """An error the handlers did not expect: a page for a browser, problem details for a machine
    (and for a browser too if even the error page fails)."""
    if not is_api(request):
        try:
            return page(request, status, title, detail)
        except Exception:
            log.exception("the error page failed on %s %s", request.method, request.url.path)
    return problem(status, title, detail)


def is_api(request: Request) -> bool:
    """Machines get problem details; browsers get pages."""
    return request.url.path.startswith("/api/") or request.url.path in ("/openapi.json", "/metrics")


def page_error(request: Request, exc: FtzError) -> Response:
    """A domain error as a browser sees it: the login page when not logged in, else a page
    (or, for htmx, a message in the page's message area)."""
    if isinstance(exc, Unauthorized):
        if request.headers.get("HX-Request"):
            return Response(status_code=204, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)
    status, title = next(((s, t) for kind, s, t in STATUS if isinstance(exc, kind)), (400, "Bad request"))
    return page(request, status, title, str(exc))


def page(request: Request, status: int, title: str, detail: str) -> Response:
    headers = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"} if request.headers.get("HX-Request") else {}
    response = render(request, "error.html", {"title": title, "detail": detail}, block="message", status_code=status)
    response.headers.update(headers)
    return response


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
