"""The application: the REST API under /api/v1, its OpenAPI description, and the web pages."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse

from ftz.api import accounts, discrepancies, lots, problems, uploads
from ftz.api.deps import secret_key
from ftz.config import get_settings
from ftz.database import get_engine
from ftz.errors import TooLarge
from ftz.migrations import alembic_config
from ftz.web import views

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
    """Refuse to serve a database whose schema is not the one this version expects."""
    engine = get_engine()
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current != head:
        raise RuntimeError(f"the database schema is at {current}, this version needs {head}: run `ftz db upgrade`")
    secret_key()  # created now rather than by the first login
    yield


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
    app.include_router(views.router)

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

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/login", status_code=303)

    return app
