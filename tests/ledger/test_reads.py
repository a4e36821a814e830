"""The ledger as the engine reads it: typed Arrow columns, the same whichever way they are read."""

import pandas as pd
import pandas.testing as pdt

from ftz.ledger.scope import lookups_pay
from ftz.ledger.service import customs_frame, movements_frame
from tests.helpers import admission, customs_item, import_customs, import_movements, removal, write_csv


def stored(engine, tmp_path) -> None:
    rows = [admission(), removal(description="steel plate", counterparty=""), admission("M3", lot="LOT2")]
    assert import_movements(engine, write_csv(tmp_path / "m.csv", rows)).accepted
    items = [customs_item(), customs_item("26AE0002", direction="REMOVAL", destination_country="DE")]
    assert import_customs(engine, write_csv(tmp_path / "c.csv", items)).accepted


def test_the_ledger_arrives_typed_integers_utc_times_and_text_with_gaps(zone_with_operators, tmp_path):
    stored(zone_with_operators, tmp_path)
    moves = movements_frame(zone_with_operators)
    assert moves["quantity"].dtype == "int64" and moves["id"].is_monotonic_increasing
    assert str(moves["occurred_at"].dt.tz) == "UTC"
    assert pd.api.types.is_string_dtype(moves["previous_ref"]) and moves["previous_ref"].isna().all()
    assert moves.loc[moves["movement_ref"] == "M2", "description"].tolist() == ["steel plate"]


def test_a_bulk_read_gives_the_frame_a_small_read_gives(zone_with_operators, tmp_path):
    stored(zone_with_operators, tmp_path)
    for small, bulk in (
        (movements_frame(zone_with_operators), movements_frame(zone_with_operators, bulk=True)),
        (customs_frame(zone_with_operators, current_only=False), customs_frame(zone_with_operators, bulk=True,
                                                                               current_only=False)),
    ):  # fmt: skip
        assert len(small) > 0
        pdt.assert_frame_equal(small, bulk)


def test_a_read_of_some_operators_holds_theirs_only(zone_with_operators, tmp_path):
    stored(zone_with_operators, tmp_path)
    mine = movements_frame(zone_with_operators, operators=[1], bulk=True)
    assert len(mine) == 3 and set(mine["operator_id"]) == {1}
    assert movements_frame(zone_with_operators, operators=[], bulk=True).empty


def test_a_scope_is_looked_up_along_the_indexes_only_while_it_is_small_next_to_the_ledger(
    zone_with_operators, tmp_path
):
    rows = [admission(f"M{n}", lot=f"LOT{n}", customs_ref=f"26AE{n:04d}") for n in range(60)]
    assert import_movements(zone_with_operators, write_csv(tmp_path / "m.csv", rows)).accepted
    with zone_with_operators.connect() as conn:
        few, many = lookups_pay(conn, 1), lookups_pay(conn, 60)
    # PostgreSQL would hash the whole ledger for one lot; SQLite looks it up by itself
    assert (few, many) == (zone_with_operators.dialect.name == "postgresql", False)
    for lots in (["LOT7"], [f"LOT{n}" for n in range(60)]):
        scope = (pd.DataFrame({"operator_id": [1] * len(lots), "lot_ref": lots}), set())
        assert sorted(movements_frame(zone_with_operators, scope=scope)["lot_ref"]) == sorted(lots)
