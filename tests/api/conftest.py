"""A small two-zone world for API tests, built through the paths users take (CLI verbs,
imports, a run, a question put to an operator), and clients for each kind of caller."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from ftz.app import create_app
from ftz.auth import service as accounts
from ftz.auth.models import ApiToken, Role
from ftz.auth.scope import Caller
from ftz.config import get_settings
from ftz.database import get_engine, utcnow
from ftz.discrepancies import review
from ftz.discrepancies import service as runs
from ftz.discrepancies.models import Discrepancy
from ftz.ingest.models import Upload
from ftz.zones import service as zones
from ftz.zones.models import Operator, OperatorBase, ZoneBase
from tests.conftest import _empty
from tests.helpers import admission, customs_item, import_customs, import_movements, write_csv

PASSWORD = "correct horse battery staple"
# Operator codes, lots and zones no random token or hash could contain by chance.
OPERATORS = {"ALPHA1": "ZONEA", "BRAVO2": "ZONEA", "CHARLIE3": "ZONEB"}
LOTS = {code: f"LOT-{code}" for code in OPERATORS}
USERS = {
    "op.alpha": ("OPERATOR", "ALPHA1", []),
    "op.bravo": ("OPERATOR", "BRAVO2", []),
    "aud.a": ("AUDITOR", None, ["ZONEA"]),
    "aud.b": ("AUDITOR", None, ["ZONEB"]),
    "aud.all": ("AUDITOR", None, []),
    "admin": ("ADMIN", None, []),
}


@dataclass
class World:
    engine: Engine
    app: object
    uploads: dict[str, int] = field(default_factory=dict)  # operator code (or CUSTOMS) -> upload id
    discrepancies: dict[str, int] = field(default_factory=dict)  # operator code -> a discrepancy id
    denied: int = 0  # a finding on ALPHA1 of a kind never put to the operator (so never seen by it)
    tokens: dict[str, str] = field(default_factory=dict)  # name -> token text
    token_ids: dict[str, int] = field(default_factory=dict)


def build(engine: Engine, folder: Path) -> World:
    """Zones, operators, each operator's movements and customs entries, one run, accounts and
    tokens; ALPHA1 asked about its finding, and a denied-party finding on it never asked."""
    with Session(engine) as session:
        for zone in sorted(set(OPERATORS.values())):
            zones.create_zone(session, zone_in=ZoneBase(code=zone, name=zone, country="AE", timezone=""))
        for code, zone in OPERATORS.items():
            zones.create_operator(session, operator_in=OperatorBase(code=code, name=code), zone_code=zone)
        session.commit()
    world = World(engine=engine, app=create_app())
    items = [
        customs_item(f"DEC-{code}", zone_code=zone, operator_code=code, lot_ref=LOTS[code], quantity="100", unit="KGM")
        for code, zone in OPERATORS.items()
    ]
    world.uploads["CUSTOMS"] = import_customs(engine, write_csv(folder / "customs.csv", items)).upload_id
    for code in OPERATORS:
        # 90 booked against 100 declared: a quantity mismatch on every operator's lot
        rows = [admission("M1", lot=LOTS[code], customs_ref=f"DEC-{code}", quantity="90", unit="KGM")]
        path = write_csv(folder / f"movements_{code}.csv", rows)
        world.uploads[code] = import_movements(engine, path, operator=code).upload_id
    runs.run(engine)
    runs.run(engine, as_of="2026-12-31T00:00:00+00:00")  # run 2: a report as of a past moment
    with Session(engine) as session:
        for d in session.exec(select(Discrepancy).order_by(Discrepancy.id)):
            world.discrepancies.setdefault(_code(session, d.operator_id), d.id)
        asking = Caller(user_id=None, name="aud.a", role=Role.AUDITOR)
        review.ask(session, caller=asking, discrepancy_id=world.discrepancies["ALPHA1"], question="why 90, not 100?")
        world.denied = denied_party(session, "ALPHA1").id
        for name, (role, operator, zone_list) in USERS.items():
            accounts.create(session, name=name, role=role, password=PASSWORD, operator_code=operator,
                            zone_codes=zone_list, actor="test")  # fmt: skip
        for name, user, scope, days in [
            ("alpha.movements", "op.alpha", "movements:write", 30),
            ("alpha.read", "op.alpha", "read", 30),
            ("admin.customs", "admin", "customs:write", None),
            ("aud.a.read", "aud.a", "read", None),
            ("expired", "op.alpha", "read", 1),
            ("revoked", "op.alpha", "read", None),
            ("bravo.read", "op.bravo", "read", None),
        ]:
            record, token = accounts.create_token(session, user_name=user, scope=scope, expires_days=days, actor="test")
            world.tokens[name], world.token_ids[name] = token, record.id
        session.flush()
        session.execute(update(ApiToken).where(ApiToken.id == world.token_ids["expired"]).values(expires_at=utcnow()))
        accounts.revoke_token(session, token_id=world.token_ids["revoked"], actor="test")
        session.commit()
    return world


def denied_party(session: Session, operator_code: str, run_id: int = 1) -> Discrepancy:
    """A DENIED_PARTY finding on the operator's lot, written as a screening run would (no such
    rule runs yet): a kind that is never put to the operator."""
    operator = session.exec(select(Operator).where(Operator.code == operator_code)).one()
    finding = Discrepancy(
        fingerprint=f"denied-party-{operator_code}", kind="DENIED_PARTY", zone_id=operator.zone_id,
        operator_id=operator.id, lot_ref=LOTS.get(operator_code, "LOT1"), severity="CRITICAL", risk_score=95,
        evidence={"rule": "the consignee is on a denied-party list", "records": "M1",
                  "risk": {"score": 95, "components": [["kind", 40], ["strategic", 55]]}},
        first_seen_run=run_id, last_seen_run=run_id,
    )  # fmt: skip
    session.add(finding)
    session.flush()
    return finding


def _code(session: Session, operator_id: int) -> str:
    return session.get(Operator, operator_id).code


def login(client: TestClient, name: str) -> dict[str, str]:
    """Log in through the API; the headers a browser's script would then send."""
    response = client.post("/api/v1/session", json={"name": name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


@pytest.fixture(scope="module")
def world(migrated_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The world, built once per module and backend (tests here only read it, or add to it)."""
    folder = tmp_path_factory.mktemp("world")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FTZ_DATABASE_URL", migrated_url)
        patch.setenv("FTZ_DATA_DIR", str(folder / "data"))
        get_settings.cache_clear()
        engine = get_engine(migrated_url)
        _empty(engine)
        yield build(engine, folder)
        _empty(engine)
    get_settings.cache_clear()


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(world.app) as test_client:
        yield test_client


def uploads_of(engine: Engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(Upload)).all())
