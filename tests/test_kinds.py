"""One registry of discrepancy kinds: the contract's names, the README's rules table, the
database's constraint."""

import re
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ftz.discrepancies.models import Discrepancy, Run
from ftz.zones import service as zones
from ftz.zones.models import OperatorBase, ZoneBase
from reconciliation.engine import SOURCES
from reconciliation.kinds import KINDS

ROOT = Path(__file__).parents[1]
CONTRACT_KINDS = [
    "UNRECORDED_ADMISSION", "UNDECLARED_ADMISSION", "UNDECLARED_REMOVAL", "UNRECORDED_REMOVAL", "QUANTITY_MISMATCH",
    "CLASSIFICATION_MISMATCH", "DESTINATION_CHANGE", "STOCK_SHORTAGE", "STOCK_OVERAGE", "NEGATIVE_BALANCE",
    "PROCESSING_LOSS", "LATE_RECORD", "UNLICENSED_STRATEGIC_REMOVAL", "DENIED_PARTY", "CONCEALMENT_SUSPECTED",
    "WRITE_OFF", "REMOVAL_UNDER_HOLD", "RISK_PROFILE_HIT", "TRANSFER_NOT_ARRIVED",
]  # fmt: skip


def test_the_registry_holds_every_kind_of_the_contract_and_no_other():
    assert sorted(KINDS) == sorted(CONTRACT_KINDS)


def test_the_readme_states_the_rule_of_every_kind_the_engine_raises():
    rules = (ROOT / "README.md").read_text().split("## Reconciliation rules")[1].split("\n## ")[0]
    first_cells = [line.split("|")[1] for line in rules.splitlines() if line.startswith("| `")]
    stated = {name for cell in first_cells for name in re.findall(r"`([A-Z_]+)`", cell)}
    raised = {name for name, kind in KINDS.items() if kind.source in SOURCES}
    assert raised <= stated and "UNLICENSED_STRATEGIC_REMOVAL" in raised


def write(engine, **fields) -> None:
    with Session(engine) as session:
        zone = zones.create_zone(session, zone_in=ZoneBase(code="ZFX", name="Z", country="AE", timezone="Asia/Dubai"))
        operator = zones.create_operator(session, operator_in=OperatorBase(code="OP001", name="O"), zone_code="ZFX")
        run = Run()
        session.add(run)
        session.flush()
        values = {"fingerprint": "f", "kind": "WRITE_OFF", "severity": "HIGH", "risk_score": 50} | fields
        session.add(Discrepancy(zone_id=zone.id, operator_id=operator.id, first_seen_run=run.id,
                                last_seen_run=run.id, **values))  # fmt: skip
        session.commit()


def test_the_database_accepts_a_kind_of_the_registry(engine):
    write(engine, kind="WRITE_OFF")


@pytest.mark.parametrize("field", [{"kind": "SOMETHING_ELSE"}, {"status": "MAYBE"}, {"severity": "URGENT"}])
def test_the_database_refuses_a_kind_status_or_severity_outside_the_registry(engine, field):
    with pytest.raises(IntegrityError):
        write(engine, **field)
