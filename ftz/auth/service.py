"""Accounts, login with throttling, sessions and API tokens. Every change is audited."""

import hashlib
import hmac
import ipaddress
import logging
import secrets
from dataclasses import replace
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, Integer, and_, cast, func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from ftz.audit import service as audit
from ftz.auth import passwords
from ftz.auth.models import ApiToken, AuditorZone, LoginAttempt, LoginSession, Role, TokenScope, User
from ftz.auth.scope import Caller
from ftz.config import get_settings
from ftz.database import utcnow
from ftz.errors import AlreadyExists, Forbidden, InvalidInput, NotFound, Throttled, Unauthorized
from ftz.zones import service as zones

_hasher = PasswordHasher()
# Verified against when the account does not exist, so that both cases take the same time.
_DUMMY = _hasher.hash("not a password")
MIN_PASSWORD = passwords.MIN_LENGTH
# Keys of the PostgreSQL advisory locks that serialize login attempts: per account name, per client.
_LOCK_NAME = int.from_bytes(hashlib.sha256(b"ftz login name").digest()[:4], "big", signed=True)
_LOCK_CLIENT = int.from_bytes(hashlib.sha256(b"ftz login client").digest()[:4], "big", signed=True)
TOKEN_PREFIX = "ftz_"
# How exactly a token's last use is kept: finer would mean a write per request.
TOKEN_USE_PRECISION = timedelta(minutes=1)
log = logging.getLogger(__name__)

# Which token scopes each role may hold.
SCOPES_BY_ROLE = {
    Role.OPERATOR: {TokenScope.MOVEMENTS_WRITE, TokenScope.READ},
    Role.AUDITOR: {TokenScope.READ},
    Role.ADMIN: {TokenScope.CUSTOMS_WRITE, TokenScope.READ},
}


def digest(token: str) -> str:
    """How a session or API token is kept: its sha256 (tokens are random, not guessable)."""
    return hashlib.sha256(token.encode()).hexdigest()


def get(session: Session, *, name: str) -> User | None:
    return session.execute(select(User).where(User.name == name.strip())).scalar_one_or_none()


def get_or_raise(session: Session, *, name: str) -> User:
    user = get(session, name=name)
    if user is None:
        raise NotFound(f"no account is named {name}")
    return user


def create(
    session: Session,
    *,
    name: str,
    role: str,
    password: str,
    operator_code: str | None = None,
    zone_codes: list[str] | None = None,
    actor: str,
) -> User:
    """Open an account: an OPERATOR bound to its operator, an AUDITOR to zones (none: all)."""
    name = name.strip()
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        raise InvalidInput("an account name is 1 to 100 characters without spaces")
    try:
        role = Role(role.upper())
    except ValueError:
        raise InvalidInput(f'"{role}" is not a role: OPERATOR, AUDITOR or ADMIN') from None
    if get(session, name=name):
        raise AlreadyExists(f"an account named {name} exists already")
    operator_id = None
    if role == Role.OPERATOR:
        if not operator_code:
            raise InvalidInput("an OPERATOR account needs --operator")
        operator_id = zones.get_operator_or_raise(session, code=operator_code.strip().upper()).id
    elif operator_code:
        raise InvalidInput("only an OPERATOR account is bound to an operator")
    if zone_codes and role != Role.AUDITOR:
        raise InvalidInput("only an AUDITOR account is limited to zones")
    user = User(name=name, role=role, operator_id=operator_id, password_hash=_hash(password, name=name))
    session.add(user)
    session.flush()
    for code in zone_codes or []:
        zone = zones.get_zone_or_raise(session, code=code.strip().upper())
        session.add(AuditorZone(user_id=user.id, zone_id=zone.id))
    audit.record(
        session,
        actor=actor,
        action="user.created",
        subject=f"user:{name}",
        operator_id=operator_id,
        details={"role": role, "zones": sorted(c.upper() for c in zone_codes or [])},
    )
    return user


def disable(session: Session, *, name: str, actor: str) -> User:
    """End an account's access: its sessions and tokens stop working at once."""
    user = get_or_raise(session, name=name)
    now = utcnow()
    user.active, user.disabled_at = False, now
    session.add(user)
    session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    )
    audit.record(session, actor=actor, action="user.disabled", subject=f"user:{user.name}")
    return user


def reset_password(session: Session, *, name: str, password: str, actor: str) -> User:
    """Set a new password; the account's open sessions end."""
    user = get_or_raise(session, name=name)
    user.password_hash = _hash(password, name=user.name)
    session.add(user)
    session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    audit.record(session, actor=actor, action="user.password_reset", subject=f"user:{user.name}")
    return user


def login(session: Session, *, name: str, password: str, address: str | None = None) -> tuple[User, str]:
    """Check a password (refused while this client is throttled for the name, or at all) and
    open a session; returns the session token the cookie carries."""
    settings = get_settings()
    name = name.strip()[:100]
    attempt_id = _reserve_attempt(session.get_bind(), name=name, client=client_key(address))
    user = get(session, name=name)
    ok = _verify(user.password_hash if user else _DUMMY, password) and user is not None and user.active
    audit.record(
        session,
        actor=name,
        action="login.succeeded" if ok else "login.failed",
        subject=f"user:{name}",
        details={"address": address},
    )
    if not ok:
        session.commit()  # the failure is audited even though the request fails
        raise Unauthorized("wrong account name or password")
    session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(succeeded=True))
    token = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(hours=settings.session_hours)
    session.add(LoginSession(user_id=user.id, token_hash=digest(token), expires_at=expires))
    return user, token


def client_key(address: str | None) -> str | None:
    """The client a login attempt is counted against: its IPv4 address, or its IPv6 /64 network
    (one machine commonly holds a whole /64, so single IPv6 addresses would be free to change)."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if ip.version == 6:
        return str(ip.ipv4_mapped or ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _reserve_attempt(engine: Engine, *, name: str, client: str | None) -> int:
    """Count the failures that throttle this attempt and record it, as one serialized step, so
    that concurrent attempts cannot all pass the count; returns the attempt's id.

    The attempt is stored as a failure before the password is checked (a success marks it
    afterwards), so attempts still being checked count too. A throttled attempt is not stored:
    a client that keeps trying does not extend its own lock, and never anyone else's."""
    settings = get_settings()
    window = timedelta(minutes=settings.login_window_minutes)
    now = utcnow()
    same_client = LoginAttempt.address.is_(None) if client is None else LoginAttempt.address == client
    limits = [
        (and_(LoginAttempt.name == name, same_client), settings.login_max_failures, f"for {name} from this address")
    ]
    if client is not None:
        limits.append((same_client, settings.login_max_failures_per_client, "from this address"))
    # A session of its own: its transaction starts with the lock (PostgreSQL) or with the insert
    # (SQLite, whose write lock then keeps every other attempt out until the commit).
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            # Two lock classes (names, clients) so that a name never shares a key with a client;
            # always taken in this order, so two attempts never wait for each other in a cycle.
            session.execute(select(func.pg_advisory_xact_lock(cast(_LOCK_NAME, Integer), func.hashtext(name))))
            if client is not None:
                session.execute(select(func.pg_advisory_xact_lock(cast(_LOCK_CLIENT, Integer), func.hashtext(client))))
        attempt = LoginAttempt(name=name, succeeded=False, address=client, at=now)
        session.add(attempt)
        session.flush()
        for where, most, whom in limits:
            count, first = session.execute(
                select(func.count(), func.min(LoginAttempt.at)).where(
                    where,
                    LoginAttempt.at >= now - window,
                    LoginAttempt.succeeded.is_(False),
                    LoginAttempt.id != attempt.id,
                )
            ).one()
            if count >= most:
                session.rollback()  # the refused attempt leaves no trace
                retry = max(int((first + window - now).total_seconds()) + 1, 1)
                raise Throttled(f"too many failed logins {whom}: try again in {retry // 60 + 1} minutes", retry)
        session.commit()
        return attempt.id


def logout(session: Session, *, token: str) -> None:
    """End a session: its cookie stops working even if it is sent again."""
    record = session.execute(select(LoginSession).where(LoginSession.token_hash == digest(token))).scalar_one_or_none()
    if record is None or record.ended_at is not None:
        return
    record.ended_at = utcnow()
    session.add(record)
    user = session.get(User, record.user_id)
    audit.record(session, actor=user.name, action="logout", subject=f"user:{user.name}")


def caller_from_session(session: Session, *, token: str) -> Caller:
    """The caller a session token stands for, if the session and its account are live."""
    row = session.execute(
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.token_hash == digest(token))
    ).one_or_none()
    if row is None or row[0].ended_at is not None or row[0].expires_at <= utcnow() or not row[1].active:
        raise Unauthorized("the session has ended: log in again")
    return _caller(session, row[1], scopes=None)


def caller_from_token(session: Session, *, token: str) -> Caller:
    """The caller an API token stands for, if it is live. Nothing is written: a request's
    reads never wait for the database's write lock (see ``note_token_use``)."""
    row = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == digest(token))
    ).one_or_none()
    if row is None:
        raise Unauthorized("unknown API token")
    api_token, user = row
    now = utcnow()
    if api_token.revoked_at is not None or not user.active:
        raise Unauthorized("the API token was revoked")
    if api_token.expires_at is not None and api_token.expires_at <= now:
        raise Unauthorized("the API token has expired")
    caller = _caller(session, user, scopes=frozenset({api_token.scope}))
    last = api_token.last_used_at
    if last is None or now - last >= TOKEN_USE_PRECISION:
        caller = replace(caller, token_used=(api_token.id, now))
    return caller


def note_token_use(engine: Engine, *, token_id: int, at: datetime) -> None:
    """Record when a token was last used, at most once per ``TOKEN_USE_PRECISION``; run after
    the response, and given up (logged) when the database is busy: the next use tries again."""
    try:
        with Session(engine) as session:
            session.execute(
                update(ApiToken)
                .where(ApiToken.id == token_id)
                .where(or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= at - TOKEN_USE_PRECISION))
                .values(last_used_at=at)
            )
            session.commit()
    except OperationalError:
        log.warning("when token %s was last used could not be recorded now (the database is busy)", token_id)


def create_token(
    session: Session, *, user_name: str, scope: str, expires_days: int | None, actor: Caller | str
) -> tuple[ApiToken, str]:
    """Issue a token for an account (an admin's, or an operator's for itself); the token text
    is returned once and never stored."""
    user = get_or_raise(session, name=user_name)
    actor_name = actor.name if isinstance(actor, Caller) else actor
    if isinstance(actor, Caller) and actor.role != Role.ADMIN and actor.user_id != user.id:
        raise NotFound(f"no account is named {user_name}")
    if isinstance(actor, Caller) and actor.role == Role.AUDITOR:
        raise Forbidden("auditors do not issue API tokens")
    try:
        scope = TokenScope(scope)
    except ValueError:
        raise InvalidInput(f'"{scope}" is not a scope: movements:write, customs:write or read') from None
    if scope not in SCOPES_BY_ROLE[Role(user.role)]:
        raise InvalidInput(f"an {user.role} account cannot hold a {scope} token")
    if not user.active:
        raise InvalidInput(f"the account {user.name} is disabled")
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise InvalidInput("a token expires after 1 to 3650 days")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=expires_days) if expires_days else None
    record = ApiToken(user_id=user.id, scope=scope, token_hash=digest(token), created_by=actor_name, expires_at=expires)
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor=actor_name,
        action="token.created",
        subject=f"token:{record.id}",
        operator_id=user.operator_id,
        details={"user": user.name, "scope": scope, "expires_at": expires},
    )
    return record, token


def revoke_token(session: Session, *, token_id: int, actor: Caller | str) -> ApiToken:
    """Revoke a token: it stops working at once."""
    record = session.get(ApiToken, token_id)
    if record is None or (isinstance(actor, Caller) and actor.role != Role.ADMIN and record.user_id != actor.user_id):
        raise NotFound(f"no API token {token_id}")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        session.add(record)
        actor_name = actor.name if isinstance(actor, Caller) else actor
        audit.record(session, actor=actor_name, action="token.revoked", subject=f"token:{record.id}")
    return record


def get_all_tokens(session: Session, *, caller: Caller) -> list[tuple[ApiToken, str]]:
    """Tokens with their account's name: an admin sees all, others their own."""
    query = select(ApiToken, User.name).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
    if caller.role != Role.ADMIN:
        query = query.where(ApiToken.user_id == caller.user_id)
    return [(t, n) for t, n in session.execute(query).all()]


def csrf_token(secret: str, session_token: str) -> str:
    """The CSRF token of a session: derived from it, so nothing more is stored."""
    return hmac.new(secret.encode(), b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def _caller(session: Session, user: User, scopes: frozenset[str] | None) -> Caller:
    zone_ids = None
    if user.role == Role.AUDITOR:
        zone_ids = (
            frozenset(session.execute(select(AuditorZone.zone_id).where(AuditorZone.user_id == user.id)).scalars())
            or None
        )
    return Caller(
        user_id=user.id, name=user.name, role=Role(user.role), operator_id=user.operator_id, zone_ids=zone_ids,
        scopes=scopes,
    )  # fmt: skip


def _hash(password: str, *, name: str) -> str:
    passwords.check(password, name=name)
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
