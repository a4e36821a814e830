"""The composition root: the REST API under /api/v1, its OpenAPI description, the web pages,
the error layer and the middleware, put together in one application."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from ftz import problems
from ftz.api import accounts, discrepancies, lots, metrics, uploads
from ftz.config import get_settings
from ftz.database import get_engine
from ftz.deps import secret_key
from ftz.discrepancies import service as runs
from ftz.errors import NotFound, TooLarge
from ftz.migrations import schema_problem
from ftz.web import lots as web_lots
from ftz.web import review as web_review
from ftz.web import uploads as web_uploads
from ftz.web import views

STATIC = Path(__file__).resolve().parent / "web" / "static"
# htmx comes from the npm registry at set-up (`npm ci`), never from the repository.
HTMX = Path(__file__).resolve().parents[1] / "node_modules" / "htmx.org" / "dist" / "htmx.min.js"

API_PREFIX = "/api/v1"
DESCRIPTION = """
Oversight of Free Trade Zones: operators send their stock movements, customs its
declarations; reconciliation raises discrepancies that auditors review.

**Authentication**: systems send `Authorization: Bearer <token>` (tokens are scoped
`movements:write`, `customs:write` or `read`). People log in with `POST /api/v1/session`,
which sets an HttpOnly cookie; with a cookie, every change must also send the
`X-CSRF-Token` header that `/session` and `/me` return.

**Errors** are problem details (RFC 9457): `type`, `title`, `status`, `detail`, and for a
rejected upload `errors`, one per row and column.
"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Refuse to serve a database whose schema is not the one this version expects; mark the
    runs a dead process left RUNNING; with FTZ_WITH_SCHEDULER, schedule the nightly runs too."""
    engine = get_engine()
    problem = schema_problem(engine)
    if problem:
        raise RuntimeError(problem)
    secret_key()  # created now rather than by the first login
    scheduler = None
    if get_settings().with_scheduler:
        from ftz.scheduler import service as schedule

        scheduler = schedule.start(engine)  # marks abandoned runs itself
    else:
        runs.mark_abandoned(engine)
    yield
    if scheduler is not None:
        scheduler.shutdown(wait=True)  # a run in progress finishes before the process ends


def healthz() -> JSONResponse:
    """The process is up (for a liveness probe)."""
    return JSONResponse({"status": "ok"})


def readyz() -> JSONResponse:
    """The process can serve: the database is reachable and its schema is this version's."""
    problem = schema_problem(get_engine())
    if problem:
        return JSONResponse({"status": "unavailable", "detail": problem}, status_code=503)
    return JSONResponse({"status": "ready"})


def _htmx() -> FileResponse:
    if not HTMX.exists():
        raise NotFound("htmx is not installed: run `make setup` (npm ci)")
    return FileResponse(HTMX, media_type="text/javascript")


def create_app() -> FastAPI:
    """The ASGI application."""
    app = FastAPI(
        title="ftz",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    problems.register(app)
    api = APIRouter(prefix=API_PREFIX)
    for module in (uploads, lots, discrepancies, accounts):
        api.include_router(module.router)
    app.include_router(api)
    for module in (views, web_uploads, web_lots, web_review, metrics):
        app.include_router(module.router)
    app.add_api_route("/static/htmx.min.js", _htmx, include_in_schema=False)
    app.add_api_route("/healthz", healthz, include_in_schema=False)
    app.add_api_route("/readyz", readyz, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.middleware("http")
    async def limits_and_headers(request: Request, call_next):
        length = request.headers.get("content-length")
        limit = get_settings().upload_max_bytes + 64 * 1024  # the file and its multipart framing
        if length and length.isdigit() and int(length) > limit:
            return problems.from_error(TooLarge(f"the request is larger than the {limit:,} bytes allowed"))
        if "\x00" in request.url.path or "%00" in request.url.query:
            return problems.problem(422, "Invalid input", "the address contains a NUL character")
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    return app
