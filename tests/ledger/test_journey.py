"""A consignment's journey across zones, as each kind of caller may see it: every zone with its
dates, quantities and declarations for an auditor of all zones, other zones' steps without their
operators, lots and declarations for a zone's auditor, and only its own steps for an operator."""

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlmodel import Session

from ftz.app import create_app
from ftz.auth import service as accounts
from ftz.auth.models import Role
from ftz.auth.scope import Caller
from ftz.ledger import journey
from ftz.zones import service as zones
from tests.discrepancies.test_transfer_runs import load

# ZFX OP005 LOT0000624 (7,064.49 kg of dates) transferred to ZFY, admitted there by OP006 as
# LOT0000629 in two parts, then exported to Jordan
ALL = Caller(user_id=None, name="aud.all", role=Role.AUDITOR)


def test_an_auditor_of_every_zone_sees_each_zone_its_dates_quantities_and_declarations(engine):
    load(engine)
    with Session(engine) as session:
        trip = journey.get(session, caller=ALL, operator_code="OP006", lot_ref="LOT0000629")
    assert [(s.zone_code, s.operator_code, s.lot_ref, s.this) for s in trip.steps] == [
        ("ZFX", "OP005", "LOT0000624", False), ("ZFY", "OP006", "LOT0000629", True),
    ]  # fmt: skip
    sent, arrived = trip.steps[0].departures, trip.steps[1].arrivals
    assert [(d.declaration_ref, d.destination_zone) for d in sent] == [("26AE00000627", "ZFY")]
    assert [a.previous_ref for a in arrived] == ["26AE00000627", "26AE00000627"]
    assert sum(a.quantity for a in arrived) == sent[0].quantity
    assert trip.zones == ["ZFX", "ZFY"] and trip.final_destinations == ["JO"] and trip.owners == 2


def test_a_zone_auditor_sees_the_other_zones_step_without_its_operator_lot_or_declarations(engine):
    load(engine)
    with Session(engine) as session:
        zfx = zones.get_zone(session, code="ZFX").id
        auditor = Caller(user_id=None, name="aud.x", role=Role.AUDITOR, zone_ids=frozenset({zfx}))
        trip = journey.get(session, caller=auditor, operator_code="OP005", lot_ref="LOT0000624")
    other = trip.steps[1]
    assert (other.zone_code, other.operator_code, other.lot_ref) == ("ZFY", None, None)
    assert {a.declaration_ref for a in [*other.arrivals, *other.departures]} == {None}
    assert [a.quantity for a in other.arrivals] == [Decimal("4280.139"), Decimal("2782.797")]
    assert trip.steps[0].departures[0].declaration_ref == "26AE00000627"


def test_an_operator_sees_only_its_own_steps(engine):
    load(engine)
    with Session(engine) as session:
        operator = zones.get_operator(session, code="OP005")
        caller = Caller(user_id=None, name="op5", role=Role.OPERATOR, operator_id=operator.id)
        trip = journey.get(session, caller=caller, operator_code="OP005", lot_ref="LOT0000624")
    assert [(s.zone_code, s.lot_ref) for s in trip.steps] == [("ZFX", "LOT0000624")]
    assert trip.owners == 1 and "OP006" not in str(trip.model_dump()) and "LOT0000629" not in str(trip.model_dump())


def test_the_api_and_the_lot_page_give_the_journey(engine):
    load(engine)
    with Session(engine) as session:
        accounts.create(session, name="aud.all", role="AUDITOR", password="correct horse battery staple",
                        operator_code=None, zone_codes=[], actor="test")  # fmt: skip
        session.commit()
    with TestClient(create_app()) as client:
        response = client.post("/api/v1/session", json={"name": "aud.all", "password": "correct horse battery staple"})
        assert response.status_code == 200, response.text
        body = client.get("/api/v1/lots/OP005/LOT0000624/journey").json()
        assert [s["zone_code"] for s in body["steps"]] == ["ZFX", "ZFY"]
        page = client.get("/lots/OP005/LOT0000624").text
    assert "Journey across zones" in page and "transfer to zone ZFY" in page and "LOT0000629" in page
