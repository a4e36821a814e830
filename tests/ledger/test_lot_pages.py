"""Listing lots reads only the caller's scope, a page at a time."""

from sqlmodel import Session

from ftz.auth.models import Role
from ftz.auth.scope import Caller
from ftz.ledger import lots
from ftz.ledger import service as ledger
from ftz.zones import service as zones
from ftz.zones.models import OperatorBase, ZoneBase
from tests.helpers import admission, import_movements, write_csv


def two_zones(engine, tmp_path) -> dict[str, int]:
    """ZFX with OP001 (five lots) and ZFY with OP009 (three lots)."""
    with Session(engine) as session:
        ids = {}
        for zone, operator in (("ZFX", "OP001"), ("ZFY", "OP009")):
            zones.create_zone(session, zone_in=ZoneBase(code=zone, name=zone, country="AE", timezone="Asia/Dubai"))
            ids[operator] = zones.create_operator(session, operator_in=OperatorBase(code=operator, name=operator),
                                                  zone_code=zone).id  # fmt: skip
        session.commit()
    for operator, count in (("OP001", 5), ("OP009", 3)):
        rows = [admission(f"M{n}", lot=f"L{n}", customs_ref=f"D{operator}{n}") for n in range(count)]
        import_movements(engine, write_csv(tmp_path / f"{operator}.csv", rows), operator)
    return ids


def test_pages_walk_every_lot_once(engine, tmp_path):
    two_zones(engine, tmp_path)
    caller = Caller(user_id=None, name="boss", role=Role.ADMIN)
    seen, after = [], None
    while True:
        page, after = lots.get_all(engine, caller=caller, after=after, limit=3)
        assert len(page) <= 3
        seen += [(lot.operator_code, lot.lot_ref) for lot in page]
        if after is None:
            break
    assert sorted(seen) == sorted({(op, f"L{n}") for op, k in (("OP001", 5), ("OP009", 3)) for n in range(k)})
    assert len(seen) == 8


def test_a_zone_auditor_listing_reads_no_other_zones_records(engine, tmp_path, monkeypatch):
    ids = two_zones(engine, tmp_path)
    read = []
    original = ledger.movements_frame

    def spy(*args, **kwargs):
        frame = original(*args, **kwargs)
        read.extend(frame["operator_id"])
        return frame

    monkeypatch.setattr(ledger, "movements_frame", spy)
    with Session(engine) as session:
        zone_id = zones.get_zone(session, code="ZFY").id
    auditor = Caller(user_id=None, name="aud", role=Role.AUDITOR, zone_ids=frozenset({zone_id}))
    page, _ = lots.get_all(engine, caller=auditor)
    assert {lot.operator_code for lot in page} == {"OP009"} and len(page) == 3
    assert set(read) == {ids["OP009"]}
