"""The composition root: the REST API under /api/v1, its OpenAPI description, the web pages,
the error layer and the middleware, put together in one application."""

import base64
import hashlib
import logging
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from ftz import problems
from ftz.api import accounts, discrepancies, examinations, holds, licences, lots, metrics, parties, profiles, uploads
from ftz.config import get_settings
from ftz.database import get_engine
from ftz.deps import secret_key
from ftz.discrepancies import service as runs
from ftz.errors import NotFound
from ftz.guard import Guard
from ftz.migrations import schema_problem
from ftz.parties import service as party_lists
from ftz.web import examinations as web_examinations
from ftz.web import licences as web_licences
from ftz.web import lots as web_lots
from ftz.web import parties as web_parties
from ftz.web import profiles as web_profiles
from ftz.web import review as web_review
from ftz.web import uploads as web_uploads
from ftz.web import views

STATIC = Path(__file__).resolve().parent / "web" / "static"
# htmx, Swagger UI and ReDoc come from the npm registry at set-up (`npm ci`), never from the
# repository, and are served by ftz itself: the pages and /docs load nothing from elsewhere.
NODE_MODULES = Path(__file__).resolve().parents[1] / "node_modules"
HTMX = NODE_MODULES / "htmx.org" / "dist" / "htmx.min.js"
SWAGGER_UI = NODE_MODULES / "swagger-ui-dist"
REDOC = NODE_MODULES / "redoc" / "bundles"
# Every response: scripts, styles, images, fonts and connections from ftz only; no plugins,
# no framing, forms posted to ftz only.
CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HSTS = "max-age=31536000"

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


def _warm(engine) -> None:
    """Warm the caches the pages read (in a background thread: a failure only costs speed)."""
    try:
        party_lists.warm(engine)
    except Exception:
        logging.getLogger("ftz").warning("the parties list's index could not be built ahead", exc_info=True)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Refuse to serve a database whose schema is not the one this version expects; mark the
    runs a dead process left RUNNING; with FTZ_WITH_SCHEDULER, schedule the nightly runs too."""
    engine = get_engine()
    problem = schema_problem(engine)
    if problem:
        raise RuntimeError(problem)
    secret_key()  # created now rather than by the first login
    # the parties list's index, built in the background: the first name search need not wait for it
    threading.Thread(target=_warm, args=(engine,), daemon=True).start()
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


def swagger_ui() -> HTMLResponse:
    """/docs: Swagger UI, from ftz's own copy."""
    if not (SWAGGER_UI / "swagger-ui-bundle.js").exists():
        raise NotFound("Swagger UI is not installed: run `make setup` (npm ci)")
    page = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="ftz API",
        swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger-ui/swagger-ui.css",
        swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
    )
    return _allow_inline(page)


def redoc() -> HTMLResponse:
    """/redoc: ReDoc, from ftz's own copy."""
    if not (REDOC / "redoc.standalone.js").exists():
        raise NotFound("ReDoc is not installed: run `make setup` (npm ci)")
    page = get_redoc_html(
        openapi_url="/openapi.json",
        title="ftz API",
        redoc_js_url="/static/redoc/redoc.standalone.js",
        redoc_favicon_url="/static/swagger-ui/favicon-32x32.png",
        with_google_fonts=False,
    )
    # ReDoc styles its page by adding <style> elements as it runs, and searches in a worker it
    # makes from its own code (a blob: address).
    return _allow_inline(page, styles="'unsafe-inline'", workers="blob:")


def _allow_inline(page: HTMLResponse, styles: str | None = None, workers: str | None = None) -> HTMLResponse:
    """The page's own policy: the inline scripts and styles of its HTML, by their hashes (the
    page is generated here, never from input), and nothing else."""
    html = page.body.decode()

    def hashes(tag: str) -> list[str]:
        found = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.DOTALL)
        return [f"'sha256-{base64.b64encode(hashlib.sha256(f.encode()).digest()).decode()}'" for f in found]

    script_src = " ".join(["'self'", *hashes("script")])
    style_src = " ".join(["'self'", styles] if styles else ["'self'", *hashes("style")])
    policy = f"{CSP}; script-src {script_src}; style-src {style_src}"
    page.headers["Content-Security-Policy"] = policy + (f"; worker-src 'self' {workers}" if workers else "")
    return page


def create_app() -> FastAPI:
    """The ASGI application."""
    app = FastAPI(
        title="ftz",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    problems.register(app)
    api = APIRouter(prefix=API_PREFIX)
    for module in (uploads, lots, holds, licences, discrepancies, accounts, parties, profiles, examinations):
        api.include_router(module.router)
    app.include_router(api)
    web = (views, web_uploads, web_lots, web_licences, web_review, web_parties, web_profiles, web_examinations)
    for module in (*web, metrics):
        app.include_router(module.router)
    app.add_api_route("/static/htmx.min.js", _htmx, include_in_schema=False)
    app.add_api_route("/docs", swagger_ui, include_in_schema=False)
    app.add_api_route("/redoc", redoc, include_in_schema=False)
    app.mount("/static/swagger-ui", StaticFiles(directory=SWAGGER_UI, check_dir=False), name="swagger-ui")
    app.mount("/static/redoc", StaticFiles(directory=REDOC, check_dir=False), name="redoc")
    app.add_api_route("/healthz", healthz, include_in_schema=False)
    app.add_api_route("/readyz", readyz, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # Credentials and body sizes are checked before any route reads a body; the middleware
    # below is added after, so it wraps the guard and its refusals get the headers too.
    app.add_middleware(Guard)

    @app.middleware("http")
    async def limits_and_headers(request: Request, call_next):
        if "\x00" in request.url.path or "%00" in request.url.query:
            response = problems.problem(422, "Invalid input", "the address contains a NUL character")
        else:
            response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", CSP)
        if not request.url.path.startswith("/static/"):
            # Findings, uploads and reports must not outlive the session in a cache or a shared
            # proxy; only the static assets (the same for everyone) may be kept.
            response.headers.setdefault("Cache-Control", "no-store")
        if request.url.scheme == "https":  # behind a proxy, from X-Forwarded-Proto (uvicorn --proxy-headers)
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    return app
