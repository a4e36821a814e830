"""An examinations world: profiles loaded, OP001's lot booked, and tokens for customs' system,
an auditor and the operator; built through the services and imports users go through."""

import pytest
from sqlmodel import Session

from ftz.auth import service as accounts
from ftz.auth.scope import SYSTEM
from ftz.profiles import service as profiles
from tests.examinations.builders import PASSWORD, PROFILES
from tests.helpers import admission, import_movements, write_csv


@pytest.fixture
def world(zone_with_operators, tmp_path):
    """Profiles loaded, OP001's lot booked, tokens for customs' system, an auditor and the operator."""
    engine = zone_with_operators
    tokens = {}
    with Session(engine) as session:
        profiles.create(session, caller=SYSTEM, text=PROFILES, filename="profiles.yaml")
        for name, role, operator in (("admin", "ADMIN", None), ("aud", "AUDITOR", None), ("op", "OPERATOR", "OP001")):
            accounts.create(session, name=name, role=role, password=PASSWORD, operator_code=operator, actor="t")
        for name, user, scope in (("customs", "admin", "customs:write"), ("aud", "aud", "read"), ("op", "op", "read")):
            _, tokens[name] = accounts.create_token(session, user_name=user, scope=scope, expires_days=None, actor="t")
        session.commit()
    import_movements(engine, write_csv(tmp_path / "m.csv", [admission(customs_ref="26AE0001", quantity="1000")]))
    return engine, {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
