"""Zones and operators."""

import pytest
from sqlmodel import Session

from ftz.errors import AlreadyExists, InvalidInput
from ftz.zones import service as zones
from ftz.zones.models import OperatorBase, ZoneBase


def test_a_zone_takes_its_countrys_time_zone_unless_told(engine):
    with Session(engine) as session:
        dubai = zones.create_zone(session, zone_in=ZoneBase(code="z1", name="A", country="ae", timezone=""))
        panama = zones.create_zone(
            session, zone_in=ZoneBase(code="z2", name="B", country="PA", timezone="America/Panama")
        )
    assert (dubai.code, dubai.country, dubai.timezone) == ("Z1", "AE", "Asia/Dubai")
    assert panama.timezone == "America/Panama"


def test_operator_codes_are_unique_across_zones(engine):
    with Session(engine) as session:
        for code in ("Z1", "Z2"):
            zones.create_zone(session, zone_in=ZoneBase(code=code, name=code, country="AE", timezone=""))
        zones.create_operator(session, operator_in=OperatorBase(code="OP1", name="x"), zone_code="Z1")
        with pytest.raises(AlreadyExists):
            zones.create_operator(session, operator_in=OperatorBase(code="op1", name="y"), zone_code="Z2")


def test_an_empty_code_is_refused(engine):
    with Session(engine) as session, pytest.raises(InvalidInput):
        zones.create_zone(session, zone_in=ZoneBase(code=" ", name="x", country="AE", timezone=""))
