"""Logging in and out (a session cookie), the caller's own account, API tokens, the audit trail."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from ftz.audit import service as audit
from ftz.auth import service as accounts
from ftz.auth.models import ApiTokenPublic
from ftz.auth.scope import Permission
from ftz.deps import SESSION_COOKIE, CallerDep, DbDep, RecordId, expected_csrf, session_token, set_session_cookie

router = APIRouter(tags=["accounts"])


class Credentials(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"name": "auditor.khan", "password": "correct horse battery"}]}}

    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1024)


class Me(BaseModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"name": "auditor.khan", "role": "AUDITOR", "operator_id": None, "zone_ids": [1],
                          "scopes": None, "csrf_token": "5c1e…"}]
        }
    }  # fmt: skip

    name: str
    role: str
    operator_id: int | None
    zone_ids: list[int] | None
    scopes: list[str] | None = Field(description="The token's scopes; null for a session")
    csrf_token: str | None = Field(description="Send as X-CSRF-Token with cookie-authenticated changes")


class TokenCreate(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"scope": "movements:write", "expires_days": 90}]}}

    scope: str = Field(description="movements:write, customs:write or read")
    expires_days: int | None = Field(default=None, ge=1, le=3650)
    user: str | None = Field(default=None, description="Whose token (admins only; default: the caller's)")


class TokenCreated(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"id": 7, "token": "ftz_…", "scope": "read"}]}}

    id: int
    token: str = Field(description="Shown once: only its hash is kept")
    scope: str


class AuditEventPublic(BaseModel):
    model_config = {
        "from_attributes": True,
        "json_schema_extra": {
            "examples": [
                {
                    "seq": 118, "at": "2026-11-24T09:10:00Z", "actor": "auditor.khan", "action": "discrepancy.decided",
                    "subject": "discrepancy:17", "details": {"from": "OPEN", "to": "ESCALATED", "reason": "no licence"},
                    "prev_hash": "4f0c…", "hash": "a91d…",
                }
            ]
        },
    }  # fmt: skip

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    details: dict
    prev_hash: str
    hash: str


@router.post("/session", response_model=Me, summary="Log in: sets the session cookie")
def login(body: Credentials, request: Request, response: Response, db: DbDep):
    address = request.client.host if request.client else None
    user, token = accounts.login(db, name=body.name, password=body.password, address=address)
    db.commit()
    set_session_cookie(response, request, token)
    return Me(
        name=user.name,
        role=user.role,
        operator_id=user.operator_id,
        zone_ids=None,
        scopes=None,
        csrf_token=expected_csrf(token),
    )


@router.delete(
    "/session",
    status_code=204,
    summary="Log out: the session ends for good",
    openapi_extra={
        "parameters": [
            {
                "name": "X-CSRF-Token",
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "example": "674810e29a8ebadf898df62cffd7ed69c6fa59641bc5182036685be39a97d930",
            }
        ]
    },
)
def logout(request: Request, response: Response, db: DbDep, caller: CallerDep):
    token = session_token(request)
    if token:
        accounts.logout(db, token=token)
        db.commit()
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me", response_model=Me, summary="Who the caller is")
def me(request: Request, caller: CallerDep):
    token = None if caller.scopes is not None else session_token(request)
    return Me(
        name=caller.name,
        role=caller.role,
        operator_id=caller.operator_id,
        zone_ids=sorted(caller.zone_ids) if caller.zone_ids else None,
        scopes=sorted(caller.scopes) if caller.scopes is not None else None,
        csrf_token=expected_csrf(token) if token else None,
    )


@router.post("/tokens", status_code=201, response_model=TokenCreated, summary="Issue an API token (shown once)")
def create_token(body: TokenCreate, db: DbDep, caller: CallerDep):
    if caller.scopes is not None:
        caller.require(Permission.ADMINISTER)  # a token never mints tokens
    record, token = accounts.create_token(
        db, user_name=body.user or caller.name, scope=body.scope, expires_days=body.expires_days, actor=caller
    )
    db.commit()
    return TokenCreated(id=record.id, token=token, scope=record.scope)


@router.get("/tokens", response_model=list[ApiTokenPublic], summary="API tokens (an admin's: all; else the caller's)")
def list_tokens(db: DbDep, caller: CallerDep):
    return [
        ApiTokenPublic.model_validate(t, update={"user": name})
        for t, name in accounts.get_all_tokens(db, caller=caller)
    ]


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke an API token: it stops working at once")
def revoke_token(token_id: RecordId, db: DbDep, caller: CallerDep):
    if caller.scopes is not None:
        caller.require(Permission.ADMINISTER)
    accounts.revoke_token(db, token_id=token_id, actor=caller)
    db.commit()


@router.get("/audit-events", response_model=list[AuditEventPublic], summary="The audit trail, in order (admins)")
def list_audit_events(
    db: DbDep,
    caller: CallerDep,
    after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    action: str | None = None,
):
    caller.require(Permission.ADMINISTER)
    return [AuditEventPublic.model_validate(e) for e in audit.get_all(db, after=after, limit=limit, action=action)]
