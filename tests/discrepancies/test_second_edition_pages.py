"""The finding page of the second edition's kinds: customs reads the licence and its usage, the
hold and who placed it, the words found; the operator asked about such a finding reads its facts
and never customs' assessment (severity, score, risk profile, hold reasons, notes)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from ftz.auth import service as accounts
from ftz.discrepancies import service as runs
from ftz.discrepancies.models import Discrepancy
from ftz.holds.models import Hold
from ftz.licences.models import Licence
from ftz.zones.models import Operator
from tests.helpers import admission, customs_item, import_customs, import_movements, removal, write_csv
from tests.web.test_pages import PASSWORD, csrf, logged_in

AUDITOR = "inspector.nowak"
HOLD_REASON = "tip-off from the liaison officer"


@pytest.fixture
def found(zone_with_operators, tmp_path) -> dict[str, int]:
    """Vanadium removed to Turkey under a licence for Germany, from a lot on hold; fruit whose
    customs admission reads thionyl chloride. Accounts for an auditor and an OP001 clerk."""
    engine = zone_with_operators
    vanadium = {"hs_code": "8112.92", "quantity": "400", "unit": "KGM", "control_code": "1C202"}
    fruit = {"hs_code": "0810.90", "quantity": "900", "unit": "KGM"}
    import_customs(engine, write_csv(tmp_path / "c.csv", [
        customs_item("D1", lot_ref="V1", **vanadium),
        customs_item("D2", direction="REMOVAL", procedure="RE_EXPORT", lodged_at="2026-09-20T07:00:00", lot_ref="V1",
                     destination_country="TR", origin_country="", licence_ref="EL-7", **vanadium),
        customs_item("D3", lot_ref="F1", description="thionyl chloride, 200 drums", **fruit),
    ]))  # fmt: skip
    import_movements(engine, write_csv(tmp_path / "m.csv", [
        admission("M1", lot="V1", customs_ref="D1", **vanadium),
        removal("M2", lot="V1", customs_ref="D2", destination_country="TR", **vanadium),
        admission("M3", lot="F1", customs_ref="D3", description="fresh fruit", **fruit),
    ]))  # fmt: skip
    with Session(engine) as session:
        operator = session.exec(select(Operator.id).where(Operator.code == "OP001")).one()
        session.add(Licence(
            licence_ref="EL-7", holder_id=operator, issued_at=date(2026, 9, 1), valid_until=date(2026, 12, 31),
            control_codes="1C202", destination_countries="DE", quantity=Decimal(1000), unit="KGM", row_no=1,
            recorded_by="authority",
        ))  # fmt: skip
        session.add(Hold(operator_id=operator, lot_ref="V1", reason=HOLD_REASON, placed_by="inspector.lee",
                         starts_at=datetime(2026, 9, 10, tzinfo=UTC)))  # fmt: skip
        accounts.create(session, name=AUDITOR, role="AUDITOR", password=PASSWORD, actor="t")
        accounts.create(session, name="clerk", role="OPERATOR", operator_code="OP001", password=PASSWORD, actor="t")
        session.commit()
    runs.run(engine)
    with Session(engine) as session:
        kinds = {d.kind: d.id for d in session.exec(select(Discrepancy)).all()}
    assert set(kinds) == {"UNLICENSED_STRATEGIC_REMOVAL", "REMOVAL_UNDER_HOLD", "CONCEALMENT_SUSPECTED"}
    return kinds


def test_customs_reads_the_licence_and_what_its_removals_used(found):
    with logged_in(AUDITOR) as auditor:
        page = auditor.get(f"/discrepancies/{found['UNLICENSED_STRATEGIC_REMOVAL']}").text
    assert "destination not covered" in page and "EL-7 version 1 (VALID)" in page
    assert "D2/1" in page and "1000 KGM: 400 used, 600 left" in page


def test_customs_reads_the_hold_and_who_placed_it(found):
    with logged_in(AUDITOR) as auditor:
        page = auditor.get(f"/discrepancies/{found['REMOVAL_UNDER_HOLD']}").text
    assert "Placed by <strong>inspector.lee</strong>" in page and HOLD_REASON in page


def test_customs_reads_the_words_found_and_what_they_point_to(found):
    with logged_in(AUDITOR) as auditor:
        page = auditor.get(f"/discrepancies/{found['CONCEALMENT_SUSPECTED']}").text
    assert "&ldquo;thionyl chloride&rdquo;" in page and "HS 281217, control code 1C350" in page


@pytest.mark.parametrize("kind", ["UNLICENSED_STRATEGIC_REMOVAL", "REMOVAL_UNDER_HOLD"])
def test_the_operator_asked_about_it_reads_facts_only(found, kind):
    with logged_in(AUDITOR) as auditor:
        token = csrf(auditor.get(f"/discrepancies/{found[kind]}").text)
        asked = auditor.post(f"/discrepancies/{found[kind]}/questions", data={"question": "Why?", "csrf_token": token})
        assert asked.status_code == 200
    with logged_in("clerk") as operator:
        page = operator.get(f"/discrepancies/{found[kind]}")
        api = operator.get(f"/api/v1/discrepancies/{found[kind]}")
    assert page.status_code == 200 and "Why?" in page.text
    hidden = ("sev-", "CRITICAL", "HIGH", "risk", "Risk", HOLD_REASON, "inspector.lee", AUDITOR, "placed by")
    assert [text for text in hidden if text in page.text] == []
    if api.status_code == 200:  # the API answers a session as the pages do, or asks for a token
        body = api.json()
        assert not {"severity", "risk_score", "evidence", "status", "notes"} & set(body)
        assert [text for text in hidden if text in api.text] == []


def test_a_suspected_concealment_is_never_put_to_the_operator(found):
    """The words found and the control code they point to would tip off a suspect."""
    finding = found["CONCEALMENT_SUSPECTED"]
    with logged_in(AUDITOR) as auditor:
        page = auditor.get(f"/discrepancies/{finding}").text
        asked = auditor.post(f"/discrepancies/{finding}/questions", data={"question": "Why?", "csrf_token": csrf(page)})
    assert "Ask the operator" not in page and asked.status_code == 409
    with logged_in("clerk") as operator:
        assert operator.get(f"/discrepancies/{finding}").status_code == 404
