"""The caller, what it may do, and which records it may see: tenant isolation lives here.

Every service that reads operator-owned records takes the caller and filters with
``visible``; a record outside the caller's scope is reported as not found, never as forbidden,
so that its existence does not leak.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlmodel import Session

from ftz.auth.models import Role, TokenScope
from ftz.errors import Forbidden, NotFound
from ftz.zones.models import Operator, Zone
from reconciliation.kinds import NOT_ASKABLE


class Permission(StrEnum):
    SEND_MOVEMENTS = "send movements"
    SEND_CUSTOMS = "send customs entries"
    READ = "read"
    REVIEW = "read runs and counts"
    INVESTIGATE = "comment, decide, record counts and start runs"
    ANSWER = "answer customs about the operator's own records"
    ADMINISTER = "administer"


@dataclass(frozen=True)
class Caller:
    """Who is asking: an account, through a session (``scopes`` None) or an API token."""

    user_id: int | None
    name: str
    role: Role
    operator_id: int | None = None
    zone_ids: frozenset[int] | None = None  # an AUDITOR's zones; None: every zone
    scopes: frozenset[str] | None = None  # a token's scopes; None: all the role allows
    # (token id, when) for a token whose last use is to be recorded after the response
    token_used: tuple[int, datetime] | None = field(default=None, compare=False)

    def may(self, permission: Permission) -> bool:
        """Whether the role, and the token's scope if any, allow ``permission``."""
        token = self.scopes
        if permission == Permission.SEND_MOVEMENTS:
            return self.role == Role.OPERATOR and (token is None or TokenScope.MOVEMENTS_WRITE in token)
        if permission == Permission.SEND_CUSTOMS:
            return self.role == Role.ADMIN and (token is None or TokenScope.CUSTOMS_WRITE in token)
        if permission == Permission.READ:
            return token is None or TokenScope.READ in token
        if permission == Permission.REVIEW:  # customs' own work: not shown to the operators
            return self.role in (Role.AUDITOR, Role.ADMIN) and (token is None or TokenScope.READ in token)
        if permission == Permission.INVESTIGATE:
            return self.role in (Role.AUDITOR, Role.ADMIN) and token is None
        if permission == Permission.ANSWER:
            return self.role == Role.OPERATOR and token is None
        return self.role == Role.ADMIN and token is None

    def require(self, permission: Permission) -> None:
        """Raise ``Forbidden`` unless the caller may ``permission``."""
        if not self.may(permission):
            how = "this token's scope" if self.scopes is not None else f"the {self.role} role"
            raise Forbidden(f"{how} does not allow this ({permission})")

    @property
    def sees_everything(self) -> bool:
        return self.role == Role.ADMIN or (self.role == Role.AUDITOR and self.zone_ids is None)


SYSTEM = Caller(user_id=None, name="system", role=Role.ADMIN)


def visible(caller: Caller, model) -> ColumnElement[bool]:
    """The condition that keeps rows of ``model`` to those ``caller`` may see."""
    if caller.sees_everything:
        return true()
    columns = model.__table__.c
    # Findings, their notes and questions are known here by their tables, not their models, so
    # that this module stays below every feature package that imports it.
    tables = model.metadata.tables
    if "discrepancy_id" in columns:  # notes and questions: those on the findings the caller sees
        findings = tables["discrepancy"]
        on_seen = columns.discrepancy_id.in_(select(findings.c.id).where(_visible_columns(caller, findings)))
        if model.__table__.name == "discrepancy_note" and caller.role == Role.OPERATOR:
            # an operator reads back its own answers, never customs' comments and decisions
            return and_(on_seen, columns.kind == "ANSWER")
        return on_seen
    return _visible_columns(caller, model.__table__, model)


def _visible_columns(caller: Caller, table, model=None) -> ColumnElement[bool]:
    """``visible`` for a table (``model``, where there is one, names operators and zones)."""
    if caller.sees_everything:
        return true()
    columns = table.c
    if caller.role == Role.OPERATOR:
        if table.name == "discrepancy":
            # Customs' risk assessment is confidential: an operator sees a finding only once
            # an auditor has put it to it as a question, and never one of a kind that would
            # tip off a suspect (whatever the table holds).
            return and_(
                columns.operator_id == caller.operator_id,
                columns.kind.not_in(sorted(NOT_ASKABLE)),
                columns.id.in_(select(table.metadata.tables["question"].c.discrepancy_id)),
            )
        if table.name == "report_finding":  # customs' reports of past moments: never an operator's
            return false()
        if model is Operator:
            return columns.id == caller.operator_id
        if model is Zone:
            return columns.id == select(Operator.zone_id).where(Operator.id == caller.operator_id).scalar_subquery()
        if "operator_id" in columns:
            return columns.operator_id == caller.operator_id
        return false()
    zones = sorted(caller.zone_ids or ())
    if model is Zone:
        return columns.id.in_(zones)
    if "zone_id" in columns:
        return columns.zone_id.in_(zones)
    if "operator_id" in columns:
        return columns.operator_id.in_(select(Operator.id).where(Operator.zone_id.in_(zones)))
    if "zone_code" in columns:  # runs: of their zones, or of every zone (which covers theirs)
        return or_(columns.zone_code.is_(None), columns.zone_code.in_(select(Zone.code).where(Zone.id.in_(zones))))
    return false()


def get_visible(session: Session, caller: Caller, model, ident, *, what: str):
    """The row of ``model`` with primary key ``ident`` if the caller may see it; else NotFound."""
    row = session.execute(select(model).where(model.id == ident, visible(caller, model))).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no {what} {ident}")
    return row


def operator_in_scope(session: Session, caller: Caller, code: str) -> Operator:
    """An operator by code, if the caller may see it; else NotFound."""
    row = session.execute(
        select(Operator).where(Operator.code == code.strip().upper(), visible(caller, Operator))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no operator {code}")
    return row
