"""A run speaks only for what it evaluated: the kinds its rules raise, and after a new
reference list version only what that version can change."""

import csv

from sqlmodel import Session, select

from ftz.discrepancies import service
from ftz.discrepancies.models import Discrepancy, Status
from ftz.ingest import lists
from ftz.reference import service as reference
from ftz.zones import service as zones
from ftz.zones.models import OperatorBase, ZoneBase
from tests.helpers import admission, import_movements, write_csv


def one_zone(engine, tmp_path) -> None:
    """Two lots booked in with no customs admission: L1 of fruit (0810.90), L2 of steel (7208.51)."""
    with Session(engine) as session:
        zones.create_zone(session, zone_in=ZoneBase(code="ZFX", name="Z", country="AE", timezone="Asia/Dubai"))
        zones.create_operator(session, operator_in=OperatorBase(code="OP001", name="O"), zone_code="ZFX")
        session.commit()
    rows = [
        admission("M1", lot="L1", customs_ref="NOPE1", hs_code="0810.90"),
        admission("M2", lot="L2", customs_ref="NOPE2", hs_code="7208.51"),
    ]
    import_movements(engine, write_csv(tmp_path / "m.csv", rows))


def findings(engine) -> dict[tuple, tuple]:
    with Session(engine) as session:
        rows = session.execute(select(Discrepancy).where(Discrepancy.status != Status.CLOSED)).scalars()
        return {(d.kind, d.lot_ref): (d.strategic, d.severity, d.risk_score) for d in rows}


def test_a_run_never_closes_a_finding_another_rule_family_raised(engine, tmp_path, monkeypatch):
    # every family runs now: a run that evaluates all but screening stands for one that lacks a family
    monkeypatch.setattr(service, "SOURCES", tuple(s for s in service.SOURCES if s != "screening"))
    one_zone(engine, tmp_path)
    first = service.run(engine)
    with Session(engine) as session:
        own = session.execute(select(Discrepancy)).scalars().first()
        session.add(Discrepancy(fingerprint="screening-1", kind="DENIED_PARTY", zone_id=own.zone_id,
                                operator_id=own.operator_id, lot_ref="L1", severity="CRITICAL", risk_score=90,
                                first_seen_run=first.id, last_seen_run=first.id))  # fmt: skip
        session.commit()
    service.run(engine, full=True)
    with Session(engine) as session:
        screened = session.execute(select(Discrepancy).where(Discrepancy.kind == "DENIED_PARTY")).scalar_one()
    assert screened.status == Status.OPEN


def load_controls(engine, tmp_path, hs_code: str) -> None:
    """The controls list in force, with one more row making ``hs_code`` CONTROLLED."""
    shipped = reference.controls(engine)
    path = tmp_path / "controls.csv"
    columns = ["hs_code", "control_code", "regime", "strength", "description", "source", "source_date"]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in shipped[columns].itertuples(index=False):
            writer.writerow(
                [
                    "" if v is None else str(v)[:10] if c == "source_date" else v
                    for c, v in zip(columns, row, strict=True)
                ]
            )
        writer.writerow([hs_code, "1C999", "NSG", "CONTROLLED", "test entry", "a national list", "2026-11-01"])
    report = lists.load(engine, kind="controls", path=path, source="national list", loaded_by="t")
    assert not report.errors, report.errors[:3]


def test_a_new_controls_version_rechecks_only_the_lots_it_touches_and_agrees_with_a_full_run(engine, tmp_path):
    one_zone(engine, tmp_path)
    service.run(engine)
    assert findings(engine)[("UNDECLARED_ADMISSION", "L1")][0] is False
    load_controls(engine, tmp_path, "081090")
    incremental = service.run(engine)
    assert incremental.full is False and incremental.lots == 1  # L1 alone: steel is untouched
    after = findings(engine)
    assert after[("UNDECLARED_ADMISSION", "L1")][0] is True
    service.run(engine, full=True)
    assert findings(engine) == after
