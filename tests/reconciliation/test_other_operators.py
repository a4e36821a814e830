"""An operator's findings never depend on another operator's rows in the same call: what lets a
full run go partition by partition (ties between equal values are broken by record order)."""

from dataclasses import replace

import numpy as np
import pandas as pd

from reconciliation.engine import reconcile
from tests.reconciliation.builders import Ledger


def of_operator_one(ledger: Ledger) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Operator 1's findings reconciled with every operator's rows, and alone."""
    both = ledger.inputs()
    alone = replace(both, movements=both.movements[both.movements["operator_id"] == 1])
    found = [reconcile(inputs) for inputs in (both, alone)]
    return tuple(f[f["operator_id"] == 1][["kind", "lot_ref", "fingerprint"]].reset_index(drop=True) for f in found)


def test_a_count_meets_the_balance_after_the_last_recorded_of_movements_at_the_same_moment():
    for seed in range(4):
        ledger = Ledger()
        ledger.move("ADMISSION", "L1", 100, 1)
        ledger.move("REMOVAL", "L1", 40, 5, hour=8)
        ledger.move("REMOVAL", "L1", 30, 5, hour=8)  # at the same moment: the book says 30 after both
        ledger.move("COUNT", "L1", 30, 6)
        rng = np.random.default_rng(seed)
        for i in range(200):
            ledger.move("ADMISSION", f"B{i}", 1, int(rng.integers(1, 9)), hour=8, operator_id=2)
        with_others, alone = of_operator_one(ledger)
        assert alone.empty and with_others.empty


def test_a_processing_loss_names_the_same_lot_whatever_else_is_processed():
    for seed in range(4):
        ledger = Ledger()
        for lot in ("L1", "L2"):
            ledger.move("ADMISSION", lot, 10, 1)
            ledger.move("CONSUME", lot, 10, 3, process_ref="P1")  # two equal inputs
        ledger.move("PRODUCE", "OUT", 5, 3, process_ref="P1")  # half lost
        rng = np.random.default_rng(seed)
        for i in range(100):
            quantity = int(rng.integers(1, 20))
            ledger.move("ADMISSION", f"B{i}", quantity, 1, operator_id=2)
            ledger.move("CONSUME", f"B{i}", quantity, 3, process_ref=f"Q{i}", operator_id=2)
            ledger.move("PRODUCE", f"C{i}", quantity, 3, process_ref=f"Q{i}", operator_id=2)
        with_others, alone = of_operator_one(ledger)
        assert list(alone["kind"]) == ["PROCESSING_LOSS"] and list(alone["lot_ref"]) == ["L1"]
        pd.testing.assert_frame_equal(with_others, alone)
