"""Rendering: one template per page; an htmx request gets only the named block it asked for."""

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

import pycountry
from fastapi import Request, Response
from jinja2_fragments.fastapi import Jinja2Blocks

from reconciliation.kinds import KINDS

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
FLASH_COOKIE = "ftz_flash"

templates = Jinja2Blocks(directory=TEMPLATES)


def country(code: str | None) -> str:
    """A country as people read it: its name, with the ISO code customs systems use."""
    found = pycountry.countries.get(alpha_2=code) if isinstance(code, str) and len(code) == 2 else None
    return f"{getattr(found, 'common_name', None) or found.name} ({code})" if found else (code or "")


def local(value: datetime | None, timezone: str = "UTC") -> str:
    """A moment in a zone's local time, as its staff read their clocks (a naive one is UTC)."""
    if value is None:
        return ""
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def details(value: dict | None) -> str:
    """An audit event's details as people read them: "key: value; …" (nested values as JSON,
    empty ones left out)."""
    given = {key: v for key, v in (value or {}).items() if v is not None}
    shown = (v if isinstance(v, str | int | float) else json.dumps(v, ensure_ascii=False, default=str)
             for v in given.values())  # fmt: skip
    return "; ".join(f"{key}: {v}" for key, v in zip(given, shown, strict=True))


templates.env.filters["country"] = country
templates.env.filters["details"] = details
templates.env.filters["local"] = local
templates.env.globals["kinds"] = KINDS


def render(
    request: Request, template: str, context: dict | None = None, *, block: str | None = None, status_code: int = 200
) -> Response:
    """The page, or for an htmx request with ``block`` only that block; with the caller, its
    CSRF token and any message left by the previous request."""
    values = {
        "caller": getattr(request.state, "caller", None),
        "csrf_token": getattr(request.state, "csrf", ""),
        "flash": unquote(request.cookies.get(FLASH_COOKIE) or ""),
        "path": request.url.path,
        **(context or {}),
    }
    partial = block if block and request.headers.get("HX-Request") else None
    response = templates.TemplateResponse(request, template, values, status_code=status_code, block_name=partial)
    if values["flash"]:
        response.delete_cookie(FLASH_COOKIE)
    return response


def flash(response: Response, message: str) -> Response:
    """Leave a message for the next page the browser shows (after a redirect)."""
    # percent-encoded: a cookie carries ASCII only, and file names come in every script
    response.set_cookie(FLASH_COOKIE, quote(message[:300], safe=""), max_age=60, httponly=True, samesite="strict")
    return response
