"""Accounts, the zones an auditor is limited to, login sessions, API tokens, login attempts."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Column, Field, SQLModel

from ftz.database import UTCDateTime, utcnow


def _time(nullable: bool = False) -> Column:
    return Column(UTCDateTime, nullable=nullable)


class Role(StrEnum):
    OPERATOR = "OPERATOR"  # a zone operator's staff or system: its own records only
    AUDITOR = "AUDITOR"  # customs: the zones it is bound to, or every zone
    ADMIN = "ADMIN"  # runs the installation


class TokenScope(StrEnum):
    MOVEMENTS_WRITE = "movements:write"  # an operator's warehouse system sends movements
    CUSTOMS_WRITE = "customs:write"  # the customs declaration system sends entries
    READ = "read"  # read-only, within the account's own scope


class UserBase(SQLModel):
    name: str = Field(max_length=100, unique=True, index=True)
    role: str = Field(max_length=16)
    operator_id: int | None = Field(default=None, foreign_key="operator.id")


class User(UserBase, table=True):
    """An account: one role; an OPERATOR bound to one operator."""

    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    password_hash: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    disabled_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))


class UserPublic(UserBase):
    id: int
    active: bool
    zones: list[str] = []


class AuditorZone(SQLModel, table=True):
    """A zone an AUDITOR may see; an auditor with none sees every zone."""

    __tablename__ = "auditor_zone"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    zone_id: int = Field(foreign_key="zone.id", primary_key=True)


class LoginSession(SQLModel, table=True):
    """A browser's login: the cookie holds a random token, the database only its hash."""

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    expires_at: datetime = Field(sa_column=_time())
    ended_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))


class ApiToken(SQLModel, table=True):
    """A system's credential: shown once, kept as a hash, scoped, expiring, revocable."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    scope: str = Field(max_length=32)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time())
    expires_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))
    last_used_at: datetime | None = Field(default=None, sa_column=_time(nullable=True))


class ApiTokenPublic(SQLModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": 7, "user": "op101-wms", "scope": "movements:write", "created_by": "admin",
                    "created_at": "2026-11-01T09:00:00Z", "expires_at": "2027-01-30T09:00:00Z", "revoked_at": None,
                    "last_used_at": "2026-11-24T02:00:05Z",
                }
            ]
        }
    }  # fmt: skip

    id: int
    user: str
    scope: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class LoginAttempt(SQLModel, table=True):
    """Every login attempt by account name (known or not), for throttling and the record."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_name_at", "name", "at"),
        Index("ix_login_attempt_address_at", "address", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    at: datetime = Field(default_factory=utcnow, sa_column=_time())
    succeeded: bool
    address: str | None = Field(default=None, max_length=64)
