"""What an incremental run must recompute: the lots touched since the last run, and every lot
or declaration a finding on them could also involve.

Findings tie lots together through declarations (a customs item without a lot may match any
lot of its declaration) and through processing (inputs and outputs share losses and strategic
status). The scope is closed under both, so that recomputing it alone gives the same
findings as recomputing everything.
"""

import pandas as pd

LOT = ["operator_id", "lot_ref"]


def affected(
    movements: pd.DataFrame, entries: pd.DataFrame, lots: pd.DataFrame, declarations: set[str]
) -> tuple[pd.DataFrame, set[str]]:
    """The closure of touched ``lots`` (operator_id, lot_ref) and ``declarations``."""
    lots = lots[LOT].drop_duplicates()
    declarations = set(declarations)
    by_declaration = pd.concat(
        [
            movements.loc[movements["customs_ref"].notna(), [*LOT, "customs_ref"]].rename(
                columns={"customs_ref": "declaration"}
            ),
            entries.loc[entries["lot_ref"].notna(), [*LOT, "declaration_ref"]].rename(
                columns={"declaration_ref": "declaration"}
            ),
        ]
    ).drop_duplicates()
    by_process = movements.loc[movements["process_ref"].notna(), [*LOT, "process_ref"]].drop_duplicates()
    while True:
        keyed = by_declaration.merge(lots, on=LOT)
        declarations_now = declarations | set(keyed["declaration"])
        processes = by_process.merge(lots, on=LOT)[["operator_id", "process_ref"]].drop_duplicates()
        grown = pd.concat(
            [
                lots,
                by_declaration[by_declaration["declaration"].isin(declarations_now)][LOT],
                by_process.merge(processes, on=["operator_id", "process_ref"])[LOT],
                # a correction may have moved a record off another lot
                movements.loc[
                    movements["movement_ref"].isin(movements.merge(lots, on=LOT)["corrects_ref"].dropna()), LOT
                ],
            ]
        ).drop_duplicates()
        if len(grown) == len(lots) and declarations_now == declarations:
            return lots, declarations
        lots, declarations = grown, declarations_now
