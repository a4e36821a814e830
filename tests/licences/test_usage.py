"""How much of a licence its holder's removals have used: the customs removal items in force
that cite it, in time order, in the licence's unit."""

from decimal import Decimal

from typer.testing import CliRunner

from ftz.auth.scope import SYSTEM
from ftz.cli.main import app
from ftz.licences import service as licences
from tests.helpers import customs_item, import_customs, write_csv
from tests.licences.test_import import licence

runner = CliRunner()


def removal_item(ref: str, lodged_at: str, quantity: str, unit: str, **fields: str) -> dict[str, str]:
    """A customs removal item of OP001's LOT1 citing licence L1."""
    cited = {"licence_ref": "L1"} | fields
    return customs_item(ref, direction="REMOVAL", lodged_at=lodged_at, quantity=quantity, unit=unit,
                        origin_country="", destination_country="DE", **cited)  # fmt: skip


def _register(engine, tmp_path, items: list[dict], **fields: str):
    rows = [licence("L1", quantity="2000", unit="KGM", **fields)]
    assert runner.invoke(app, ["import", "licences", str(write_csv(tmp_path / "l.csv", rows))]).exit_code == 0
    assert import_customs(engine, write_csv(tmp_path / "c.csv", items)).accepted
    (found,) = licences.get_all(engine, caller=SYSTEM)
    return found.usage


def test_removals_draw_the_licence_down_in_time_order_converted_to_its_unit(zone_with_operators, tmp_path):
    usage = _register(zone_with_operators, tmp_path, [
        removal_item("R2", "2026-09-10T10:00:00", "1", "TNE"),
        removal_item("R1", "2026-09-01T10:00:00", "1500", "KGM"),
    ])  # fmt: skip
    assert [(r.declaration_ref, r.used, r.cumulative, r.exhausted) for r in usage.removals] == [
        ("R1", Decimal(1500), Decimal(1500), False),
        ("R2", Decimal(1000), Decimal(2500), True),
    ]
    assert (usage.used, usage.remaining, usage.exhausted) == (Decimal(2500), Decimal(-500), True)


def test_only_items_in_force_of_the_holder_count(zone_with_operators, tmp_path):
    usage = _register(zone_with_operators, tmp_path, [
        removal_item("R1", "2026-09-01T10:00:00", "100", "KGM"),
        removal_item("R2", "2026-09-02T10:00:00", "100", "KGM"),
        removal_item("R2", "2026-09-02T10:00:00", "100", "KGM", version="2", licence_ref=""),  # no longer cites it
        removal_item("R3", "2026-09-03T10:00:00", "100", "KGM", status="INVALIDATED"),
        removal_item("R4", "2026-09-04T10:00:00", "100", "KGM", operator_code="OP002"),  # not the holder's
    ])  # fmt: skip
    assert [r.declaration_ref for r in usage.removals] == ["R1"] and usage.used == Decimal(100)


def test_a_removal_in_another_dimension_is_listed_but_not_weighed(zone_with_operators, tmp_path):
    usage = _register(zone_with_operators, tmp_path, [removal_item("R1", "2026-09-01T10:00:00", "3", "NAR")])
    assert [(r.used, r.cumulative) for r in usage.removals] == [(None, Decimal(0))]


def test_a_licence_without_a_quantity_reports_no_total(zone_with_operators, tmp_path):
    rows = [licence("L1", quantity="", unit="")]
    runner.invoke(app, ["import", "licences", str(write_csv(tmp_path / "l.csv", rows))])
    import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", [removal_item("R1", "2026-09-01", "5", "KGM")]))
    (found,) = licences.get_all(zone_with_operators, caller=SYSTEM)
    assert (found.usage.used, found.usage.remaining, len(found.usage.removals)) == (None, None, 1)


def test_a_licence_no_removal_cites_has_used_nothing(zone_with_operators, tmp_path):
    usage = _register(zone_with_operators, tmp_path, [customs_item("A1"), removal_item("R1", "2026-09-01", "5", "KGM",
                                                                                         licence_ref="")])  # fmt: skip
    assert (usage.used, usage.remaining, usage.removals) == (Decimal(0), Decimal(2000), [])


def test_removals_citing_licences_the_register_lacks_make_an_empty_register(zone_with_operators, tmp_path):
    import_customs(zone_with_operators, write_csv(tmp_path / "c.csv", [removal_item("R1", "2026-09-01", "5", "KGM")]))
    assert licences.get_all(zone_with_operators, caller=SYSTEM) == []
