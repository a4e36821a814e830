"""A token's last use is recorded after the response, at most once a minute: reads never write."""

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session

from ftz.app import create_app
from ftz.auth import service as accounts
from ftz.auth.models import ApiToken
from ftz.database import utcnow

PASSWORD = "correct horse battery staple"


def _token(engine) -> tuple[int, str]:
    with Session(engine) as session:
        accounts.create(session, name="aud.token", role="AUDITOR", password=PASSWORD, actor="test")
        record, token = accounts.create_token(session, user_name="aud.token", scope="read", expires_days=None,
                                              actor="test")  # fmt: skip
        session.commit()
        return record.id, token


def _last_used(engine, token_id: int):
    with Session(engine) as session:
        return session.get(ApiToken, token_id).last_used_at


def _read_with(engine, token_id: int, token: str, last_used: datetime | None) -> None:
    """One read with the token, whose last use was recorded at ``last_used``."""
    with Session(engine) as session:
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=last_used))
        session.commit()
    with TestClient(create_app()) as client:
        assert client.get("/api/v1/lots", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_the_first_use_of_a_token_is_recorded(zone_with_operators):
    token_id, token = _token(zone_with_operators)
    _read_with(zone_with_operators, token_id, token, None)
    assert _last_used(zone_with_operators, token_id) is not None


def test_a_use_within_a_minute_of_the_last_writes_nothing(zone_with_operators):
    token_id, token = _token(zone_with_operators)
    recent = utcnow() - timedelta(seconds=30)
    _read_with(zone_with_operators, token_id, token, recent)
    assert _last_used(zone_with_operators, token_id) == recent


def test_a_use_more_than_a_minute_after_the_last_is_recorded(zone_with_operators):
    token_id, token = _token(zone_with_operators)
    before = utcnow() - timedelta(minutes=5)
    _read_with(zone_with_operators, token_id, token, before)
    assert _last_used(zone_with_operators, token_id) > before + timedelta(minutes=4)
