"""The issue's two cases, sent through the import path and reconciled with the shipped lists:
records that agree with each other and still describe a proliferation."""

from sqlmodel import Session

from ftz.cli.main import app
from ftz.discrepancies import service
from tests.discrepancies.test_runs import runner
from tests.helpers import admission, customs_item, import_customs, import_movements, removal, write_csv


def zone() -> None:
    for args in (
        ["zone", "add", "ZFX", "--name", "Z", "--country", "AE"],
        ["operator", "add", "OP001", "--zone", "ZFX", "--name", "Verde Chemicals FZE"],
    ):
        assert runner.invoke(app, args).exit_code == 0


def findings(engine, kind: str) -> list:
    with Session(engine) as session:
        return [d for d in service.get_all(session) if d.kind == kind]


def test_thionyl_chloride_re_exported_to_syria_without_a_licence_is_critical(engine, tmp_path):
    zone()
    goods = {"hs_code": "2812.17", "description": "thionyl chloride", "quantity": "5000", "unit": "KGM"}
    import_customs(engine, write_csv(tmp_path / "c.csv", [
        customs_item("26AE0001", lot_ref="TC1", origin_country="CN", **goods),
        customs_item("26AE0002", direction="REMOVAL", procedure="RE_EXPORT", lodged_at="2026-09-20T07:00:00",
                     lot_ref="TC1", destination_country="SY", origin_country="",
                     consignee="Scientific Studies and Research Center", **goods),
    ]))  # fmt: skip
    import_movements(engine, write_csv(tmp_path / "m.csv", [
        admission("M1", lot="TC1", customs_ref="26AE0001", origin_country="CN", **goods),
        removal("M2", lot="TC1", customs_ref="26AE0002", destination_country="SY",
                counterparty="Scientific Studies and Research Center", **goods),
    ]))  # fmt: skip
    service.run(engine)
    [found] = findings(engine, "UNLICENSED_STRATEGIC_REMOVAL")
    assert (found.lot_ref, found.customs_ref, found.severity, found.strategic) == ("TC1", "26AE0002", "CRITICAL", True)
    assert found.control_codes == "1C350" and found.evidence["reasons"] == ["no_licence"]
    assert found.evidence["destination"]["tier"] == "EMBARGOED"


def test_uranium_oxide_described_as_fresh_fruit_for_iran_is_suspected_concealment(engine, tmp_path):
    zone()
    fruit = {"hs_code": "0810.90", "quantity": "20", "unit": "TNE"}
    said = "fresh fruit, natural uranium oxide"
    import_customs(engine, write_csv(tmp_path / "c.csv", [
        customs_item("26AE0001", lot_ref="FR1", description=said, **fruit),
        customs_item("26AE0002", direction="REMOVAL", procedure="RE_EXPORT", lodged_at="2026-09-20T07:00:00",
                     lot_ref="FR1", destination_country="IR", origin_country="", description=said, **fruit),
    ]))  # fmt: skip
    import_movements(engine, write_csv(tmp_path / "m.csv", [
        admission("M1", lot="FR1", customs_ref="26AE0001", description="fresh fruit", **fruit),
        removal("M2", lot="FR1", customs_ref="26AE0002", destination_country="IR", description="fresh fruit",
                **fruit),
    ]))  # fmt: skip
    service.run(engine)
    [found] = findings(engine, "CONCEALMENT_SUSPECTED")
    assert (found.lot_ref, found.customs_ref, found.strategic, found.severity) == ("FR1", "26AE0001", False, "CRITICAL")
    assert "uranium" in found.evidence["words"] and found.evidence["points_to"]["hs_code"] == "284410"
    assert found.evidence["declared_hs"] == "081090"
    assert findings(engine, "UNLICENSED_STRATEGIC_REMOVAL") == []  # fruit is not strategic as declared
