"""Strategic status of lots: declared, correlated through HS codes, inherited through processing."""

import pandas as pd

from reconciliation.strategic import strategic_status

CONTROLS = pd.DataFrame(
    [
        ("284410", "0C001", "CONTROLLED"),
        ("281217", "1C350", "CONTROLLED"),
        ("902620", "2B230", "MAY_BE_CONTROLLED"),
        ("84561110", "2B001", "MAY_BE_CONTROLLED"),
    ],
    columns=["hs_code", "control_code", "strength"],
)


def goods(*rows: tuple[str, str, str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        [(1, lot, hs, code) for lot, hs, code in rows], columns=["operator_id", "lot_ref", "hs_code", "control_code"]
    )


def processing(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [(1, p, lot, t) for p, lot, t in rows], columns=["operator_id", "process_ref", "lot_ref", "movement_type"]
    )


NO_PROCESSING = processing()


def status(frame: pd.DataFrame, lot: str) -> dict:
    return frame.set_index("lot_ref").loc[lot].to_dict()


def test_a_declared_control_code_makes_a_lot_strategic():
    out = strategic_status(goods(("L1", "720851", "ml8 ")), NO_PROCESSING, CONTROLS)
    assert (status(out, "L1")["strategic"], status(out, "L1")["basis"], status(out, "L1")["control_codes"]) == (
        True,
        "DECLARED",
        "ML8",
    )


def test_a_controlled_hs_code_on_either_side_makes_a_lot_strategic():
    # The operator books fruit; the customs declaration says natural uranium compounds.
    out = strategic_status(goods(("L1", "0810909000", None), ("L1", "2844100000", None)), NO_PROCESSING, CONTROLS)
    assert (status(out, "L1")["strategic"], status(out, "L1")["basis"], status(out, "L1")["control_codes"]) == (
        True,
        "CORRELATED",
        "0C001",
    )


def test_may_be_controlled_codes_raise_attention_but_are_not_strategic():
    out = strategic_status(goods(("L1", "90262000", None)), NO_PROCESSING, CONTROLS)
    assert (
        status(out, "L1")["strategic"],
        status(out, "L1")["may_be_controlled"],
        status(out, "L1")["may_be_codes"],
    ) == (False, True, "2B230")


def test_a_narrower_national_code_matches_only_its_own_lines():
    out = strategic_status(goods(("L1", "8456111000", None), ("L2", "8456119000", None)), NO_PROCESSING, CONTROLS)
    assert status(out, "L1")["may_be_controlled"] and not status(out, "L2")["may_be_controlled"]


def test_ordinary_goods_are_not_strategic():
    out = strategic_status(goods(("L1", "6109100010", None)), NO_PROCESSING, CONTROLS)
    assert status(out, "L1") == {
        "operator_id": 1, "strategic": False, "basis": "", "control_codes": "",
        "may_be_controlled": False, "may_be_codes": "", "inherited_from": "",
    }  # fmt: skip


def test_strategic_status_is_inherited_through_a_three_step_processing_chain():
    lots = goods(
        ("V1", "281217", None),
        ("A", "382499", None),
        ("B", "382499", None),
        ("C", "382499", None),
        ("X", "382499", None),
    )
    steps = processing(
        ("P1", "V1", "CONSUME"), ("P1", "A", "PRODUCE"),
        ("P2", "A", "CONSUME"), ("P2", "B", "PRODUCE"),
        ("P3", "B", "CONSUME"), ("P3", "X", "CONSUME"), ("P3", "C", "PRODUCE"),
    )  # fmt: skip
    out = strategic_status(lots, steps, CONTROLS)
    for lot in ("A", "B", "C"):
        assert (status(out, lot)["strategic"], status(out, lot)["basis"]) == (True, "INHERITED")
        assert (status(out, lot)["control_codes"], status(out, lot)["inherited_from"]) == ("1C350", "V1")
    # an ordinary input mixed in at the last step stays what it is
    assert not status(out, "X")["strategic"]


def test_a_lot_both_declared_and_inherited_names_both_bases_and_all_codes():
    lots = goods(("U", "284410", None), ("Y", "382499", "1C999"))
    out = strategic_status(lots, processing(("P1", "U", "CONSUME"), ("P1", "Y", "PRODUCE")), CONTROLS)
    assert (status(out, "Y")["basis"], status(out, "Y")["control_codes"]) == ("DECLARED,INHERITED", "0C001,1C999")


def test_processing_cycles_in_bad_data_do_not_hang():
    lots = goods(("U", "284410", None), ("A", "382499", None))
    steps = processing(("P1", "U", "CONSUME"), ("P1", "A", "PRODUCE"), ("P2", "A", "CONSUME"), ("P2", "U", "PRODUCE"))
    out = strategic_status(lots, steps, CONTROLS)
    assert status(out, "A")["basis"] == "INHERITED"
    assert status(out, "U")["basis"] == "CORRELATED"
