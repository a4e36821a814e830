"""The finding page of a transfer that never arrived: the transfer, its destination zone, the
deadline, and the goods' journey across zones."""

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from ftz.app import create_app
from ftz.auth import service as accounts
from ftz.discrepancies import service
from ftz.discrepancies.models import Discrepancy
from tests.discrepancies.test_transfer_runs import load

PASSWORD = "correct horse battery staple"


def test_a_transfer_not_arrived_page_shows_the_transfer_and_its_deadline(engine):
    load(engine)
    service.run(engine)
    with Session(engine) as session:
        accounts.create(session, name="aud.all", role="AUDITOR", password=PASSWORD, operator_code=None,
                        zone_codes=[], actor="test")  # fmt: skip
        session.commit()
        finding = session.execute(
            select(Discrepancy).where(Discrepancy.kind == "TRANSFER_NOT_ARRIVED", Discrepancy.lot_ref == "LOT0000432")
        ).scalar_one()
    with TestClient(create_app()) as client:
        assert client.post("/api/v1/session", json={"name": "aud.all", "password": PASSWORD}).status_code == 200
        page = client.get(f"/discrepancies/{finding.id}").text
    assert "Transfer 26AE00000435" in page and "to zone <strong>ZFY</strong>" in page
    assert "was due by" in page and "not known to have arrived" in page
