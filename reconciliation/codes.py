"""Lots and declarations numbered once per run, so that the rules group, sort and join on
integers instead of hashing the same texts again in each rule.

A number is the text's rank among every text of its kind on both sides (movements and
customs items), in the texts' sorted order, -1 where the text is missing: grouping or
sorting on the numbers puts rows in the order the texts would. A frame that does not carry
the numbers (a caller other than ``reconcile``) is read by its texts, as before.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from reconciliation.frames import arrow_texts

LOT = "_lot_no"  # (operator_id aside) the lot_ref's rank
DECLARATION = "_declaration_no"  # customs_ref of a movement, declaration_ref of a customs item


def numbered(moves: pd.DataFrame, entries: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``moves`` and ``entries`` with ``LOT`` and ``DECLARATION``, ranked over both frames."""
    # Arrow hashes without holding the GIL: the two passes run side by side
    with ThreadPoolExecutor(max_workers=2) as pool:
        lots = pool.submit(ranks, moves["lot_ref"], entries["lot_ref"])
        declarations = pool.submit(ranks, moves["customs_ref"], entries["declaration_ref"])
        lots, declarations = lots.result(), declarations.result()
    split = len(moves)
    moves = moves.assign(**{LOT: lots[:split], DECLARATION: declarations[:split]})
    entries = entries.assign(**{LOT: lots[split:], DECLARATION: declarations[split:]})
    return moves, entries


def ranks(*columns: pd.Series) -> np.ndarray:
    """Each value of ``columns`` (one after the other) as its rank among their distinct values
    in sorted order (-1: missing): hashed by Arrow in one pass over the columns' own buffers,
    only the distinct values sorted."""
    chunks = [chunk for column in columns for chunk in arrow_texts(column).chunks]
    encoded = pc.dictionary_encode(pa.chunked_array(chunks, type=pa.large_string())).combine_chunks()
    order = pc.array_sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(len(order) + 1, dtype="int64")
    rank[order] = np.arange(len(order))
    rank[-1] = -1  # where a missing value's index (filled as -1) lands
    return rank[encoded.indices.fill_null(-1).to_numpy()]


def lot_numbers(frame: pd.DataFrame) -> np.ndarray | None:
    """``frame``'s lot numbers where it carries them and each row that names a lot has one (a
    customs item given the lot of the record it was matched to has none); else None."""
    if LOT not in frame.columns:
        return None
    numbers = frame[LOT].to_numpy()
    if ((numbers >= 0) != frame["lot_ref"].notna().to_numpy()).any():
        return None
    return numbers


def declaration_numbers(frame: pd.DataFrame) -> np.ndarray | None:
    """``frame``'s declaration numbers where it carries them; else None."""
    return frame[DECLARATION].to_numpy() if DECLARATION in frame.columns else None


def first_rows(frame: pd.DataFrame) -> np.ndarray | None:
    """The positions of each (operator_id, lot)'s first row of ``frame``, in order (as
    ``drop_duplicates`` keeps them), found on the numbers; None where ``frame`` has none."""
    numbers = lot_numbers(frame)
    if numbers is None:
        return None
    operators = pd.factorize(frame["operator_id"])[0].astype("int64")
    key = operators * (int(numbers.max(initial=-1)) + 2) + (numbers + 1)
    return np.flatnonzero(~pd.Series(key).duplicated().to_numpy())
