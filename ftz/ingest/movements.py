"""Importing an operator's stock movements (contract section 2)."""

import zlib

import pandas as pd
from sqlalchemy import Connection, bindparam, func, select, text
from sqlmodel import Session

from ftz.database import UTCDateTime, utcnow
from ftz.errors import InvalidInput
from ftz.ingest import staging
from ftz.ingest.models import UploadKind
from ftz.ingest.pipeline import STAGE, RowError
from ftz.ingest.schema import (
    MOVEMENTS,
    HeaderCheck,
    cells_empty,
    later_than_tomorrow,
    oversized,
    row_errors,
    same_record,
    unknown_hs,
)
from ftz.ledger.models import Movement
from ftz.zones import service as zones
from ftz.zones.models import OperatorBase
from reconciliation.units import UNITS

STORED = [c.name for c in MOVEMENTS.columns]
_TIME = {"occurred_at"}
_INT = {"quantity", "value", "row_no"}
COLUMNS = {name: "time" if name in _TIME else "int" if name in _INT else "text" for name in STORED}
COLUMNS |= {"row_no": "int"}
_DIMENSION = {code: dim for code, (dim, _, _) in UNITS.items()}


class MovementsImport:
    """One operator's movements file: the operator is the sender, never a column of the file."""

    spec = MOVEMENTS
    kind = UploadKind.MOVEMENTS
    columns = COLUMNS

    def __init__(
        self,
        operator_id: int | None,
        timezone: str,
        subheadings: frozenset[str],
        accept_unknown_hs: bool,
        *,
        new_operator: tuple[str, str, str] | None = None,
    ):
        self.operator_id = operator_id  # None: ``new_operator`` (code, zone code, actor), registered by the write
        self._new_operator = new_operator
        self.created: list[str] = []
        self.timezone = timezone
        self.subheadings = subheadings
        self.accept_unknown_hs = accept_unknown_hs
        # Seen while staging, so that cross-row queries that can find nothing are skipped.
        self._refs: list[pd.Series] = []
        self._lot_units: list[pd.DataFrame] = []

    def timezones(self, cells: pd.DataFrame, header: HeaderCheck) -> str:
        return self.timezone

    def load(self, conn: Connection) -> None:
        """Nothing to read up front: the operator is the sender."""

    def register(self, conn: Connection) -> int | None:
        """Register the sender ``--create-missing`` named, if it is new: only in the final write,
        so that a refused file registers nothing. Its id, if it registered it."""
        if self._new_operator is None:
            return None
        code, zone_code, actor = self._new_operator
        with Session(bind=conn) as session:
            if zones.get_operator(session, code=code) is not None:
                raise InvalidInput(f"operator {code} was registered meanwhile: send the file again")
            operator = zones.create_operator(
                session, operator_in=OperatorBase(code=code, name=code), zone_code=zone_code, actor=actor
            )
            self.operator_id = operator.id
        self.created.append(f"operator {code} in zone {zone_code}")
        return self.operator_id

    @property
    def _sender(self) -> int:
        """The sender's id; an operator not yet registered has no records (-1 matches none)."""
        return -1 if self.operator_id is None else self.operator_id

    def lock(self, conn: Connection) -> None:
        # Two imports for one operator at once would each miss the other's refs.
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (_lock_key("movements", self._sender),))

    def prepare(
        self, conn: Connection, frame: pd.DataFrame, cells: pd.DataFrame, header: HeaderCheck
    ) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
        """Rules across a row's fields: quantity signs by type, currency with value, known HS codes."""
        kind, qty = frame["movement_type"], frame["quantity"]
        known = qty.notna() & kind.notna()
        errors = [
            row_errors("quantity", known & (kind == "ADJUST") & (qty == 0), "an adjustment cannot be 0"),
            row_errors("quantity", known & (kind == "COUNT") & (qty < 0), "a count cannot be negative"),
            row_errors(
                "quantity",
                known & ~kind.isin(["ADJUST", "COUNT"]) & (qty <= 0),
                "must be greater than 0 for " + kind.fillna(""),
            ),
            row_errors("value", frame["value"].notna() & (frame["value"] < 0), "cannot be negative"),
            row_errors(
                "currency",
                frame["value"].notna() & frame["currency"].isna() & cells_empty(cells, header, "currency"),
                "missing (required with value)",
            ),
            row_errors(
                "previous_ref",
                frame["previous_ref"].notna() & (kind != "ADMISSION"),
                "only an ADMISSION continues a transfer from another zone",
            ),
        ]
        unknown, warnings = unknown_hs(frame["hs_code"], self.subheadings, self.accept_unknown_hs)
        self._note(frame)
        return [*errors, oversized(frame), unknown], [warnings, later_than_tomorrow(frame, "occurred_at")]

    def _note(self, frame: pd.DataFrame) -> None:
        """Remember the chunk's refs and (lot, unit) pairs: does any ref repeat, any lot change unit?"""
        self._refs.append(frame["movement_ref"].dropna())
        self._lot_units.append(frame[["lot_ref", "unit"]].dropna().drop_duplicates())

    def _repeated_ref(self) -> bool:
        """Whether some movement_ref is on two rows of the file."""
        return bool(self._refs) and bool(pd.concat(self._refs, ignore_index=True).duplicated().any())

    def _mixed_units(self) -> bool:
        """Whether some lot of the file comes in more than one unit."""
        if not self._lot_units:
            return False
        pairs = pd.concat(self._lot_units, ignore_index=True).drop_duplicates()
        return bool(pairs["lot_ref"].duplicated().any())

    def cross_warnings(self, conn: Connection) -> list[RowError]:
        return []  # every cross-row doubt about movements is an error

    def cross_check(self, conn: Connection) -> list[RowError]:
        """Duplicates in the file, conflicts with what is recorded, corrections, units per lot."""
        staging.index(conn, STAGE, ("movement_ref",), ("lot_ref",), analyze=("corrects_ref", "unit"))
        op = {"op": self._sender}
        errors: list[RowError] = []
        duplicates = staging.fetch(conn, _DUPLICATES) if self._repeated_ref() else pd.DataFrame()
        for row in duplicates.itertuples():
            errors.append(RowError(row.row_no, "movement_ref", f'"{row.movement_ref}" is also on row {row.first_row}'))
        for row in staging.fetch(conn, _CONFLICTS.format(recorded=_recorded(conn.dialect.name)), **op).itertuples():
            errors.append(
                RowError(
                    row.row_no,
                    "movement_ref",
                    f'"{row.movement_ref}" is already recorded with other content; '
                    "to change it, send the row with corrects_ref",
                )
            )
        for row in staging.fetch(conn, _UNKNOWN_CORRECTED, **op).itertuples():
            errors.append(RowError(row.row_no, "corrects_ref", f'"{row.corrects_ref}" is not a recorded movement'))
        recorded = _recorded(conn.dialect.name)
        for row in staging.fetch(conn, _CORRECTED_TWICE.format(recorded=recorded), **op).itertuples():
            errors.append(
                RowError(
                    row.row_no,
                    "corrects_ref",
                    f'"{row.corrects_ref}" is already corrected by "{row.corrected_by}"; correct that one instead',
                )
            )
        # a lot's unit can clash only with another unit in the file, or with one recorded before
        clashes = self._mixed_units() or conn.execute(text(_ANY_LOT_RECORDED), op).first() is not None
        for row in (staging.fetch(conn, _LOT_UNITS, **op) if clashes else pd.DataFrame()).itertuples():
            if _DIMENSION.get(row.unit) != _DIMENSION.get(row.lot_unit):
                errors.append(
                    RowError(
                        row.row_no,
                        "unit",
                        f"{row.unit} ({_DIMENSION.get(row.unit)}) cannot be converted to {row.lot_unit} "
                        f"({_DIMENSION.get(row.lot_unit)}), the unit lot {row.lot_ref} is booked in",
                    )
                )
        return errors

    def store(self, conn: Connection, upload_id: int) -> tuple[int, int]:
        """Append the rows not already recorded; the number new and, of them, corrections."""
        names = ", ".join(STORED)
        op = {"op": self._sender}
        # A file of only new refs (the usual case) skips the row-by-row search for re-sent rows.
        resent = conn.execute(text(_ANY_RECORDED), op).first() is not None
        where = f"WHERE NOT EXISTS ({_recorded(conn.dialect.name)}) " if resent else ""
        insert = text(
            f"INSERT INTO {Movement.__tablename__} "
            f"({names}, row_no, upload_id, operator_id, recorded_at) "
            f"SELECT {names}, row_no, :upload, :op, :now FROM {STAGE} s {where}"
            # in file order, so that a correction always comes after what it corrects
            "ORDER BY s.row_no"
        ).bindparams(bindparam("now", type_=UTCDateTime()))
        new = conn.execute(insert, {"upload": upload_id, "op": self.operator_id, "now": utcnow()}).rowcount
        corrected = conn.execute(
            select(func.count()).where(Movement.upload_id == upload_id, Movement.corrects_ref.is_not(None))
        ).scalar_one()
        return new, corrected


def _lock_key(kind: str, ident: int) -> int:
    return zlib.crc32(f"ftz:{kind}:{ident}".encode())


_ANY_RECORDED = f"""
SELECT 1 FROM {STAGE} s JOIN movement m ON m.operator_id = :op AND m.movement_ref = s.movement_ref LIMIT 1
"""

_ANY_LOT_RECORDED = f"""
SELECT 1 FROM {STAGE} s JOIN movement m ON m.operator_id = :op AND m.lot_ref = s.lot_ref LIMIT 1
"""

_DUPLICATES = f"""
SELECT s.row_no, s.movement_ref, d.first_row
FROM {STAGE} s
JOIN (SELECT movement_ref, MIN(row_no) AS first_row FROM {STAGE}
      WHERE movement_ref IS NOT NULL GROUP BY movement_ref HAVING COUNT(*) > 1) d
  ON d.movement_ref = s.movement_ref
WHERE s.row_no > d.first_row
"""


def _recorded(dialect: str) -> str:
    """SQL: a stored movement of the operator equal, in every field, to staged row ``s``."""
    return "SELECT 1 FROM movement m WHERE m.operator_id = :op AND m.movement_ref = s.movement_ref AND " + same_record(
        "m", "s", STORED, dialect
    )


# A ref already stored, with no stored version equal to this row, that does not correct
# itself: a correction either reuses the ref it corrects or brings a new one.
_CONFLICTS = f"""
SELECT s.row_no, s.movement_ref FROM {STAGE} s
WHERE (s.corrects_ref IS NULL OR s.corrects_ref <> s.movement_ref)
  AND EXISTS (SELECT 1 FROM movement m WHERE m.operator_id = :op AND m.movement_ref = s.movement_ref)
  AND NOT EXISTS ({{recorded}})
"""

# A correction must name a movement recorded before, or on an earlier row of this file.
_UNKNOWN_CORRECTED = f"""
SELECT s.row_no, s.corrects_ref FROM {STAGE} s
WHERE s.corrects_ref IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM movement m WHERE m.operator_id = :op AND m.movement_ref = s.corrects_ref)
  AND NOT EXISTS (SELECT 1 FROM {STAGE} e WHERE e.movement_ref = s.corrects_ref AND e.row_no < s.row_no)
"""

# A movement is corrected once: a later fix corrects the correction (the head of the chain),
# so that exactly one row of a chain is current. Re-sent identical rows are not new.
_CORRECTED_TWICE = f"""
SELECT s.row_no, s.corrects_ref, c.movement_ref AS corrected_by FROM {STAGE} s
JOIN (
    SELECT m.corrects_ref, m.movement_ref FROM movement m
    WHERE m.operator_id = :op AND m.corrects_ref IS NOT NULL AND m.corrects_ref <> m.movement_ref
    UNION ALL
    SELECT e.corrects_ref, e.movement_ref FROM {STAGE} e
    WHERE e.corrects_ref IS NOT NULL AND e.corrects_ref <> e.movement_ref
) c ON c.corrects_ref = s.corrects_ref AND c.movement_ref <> s.movement_ref
WHERE s.corrects_ref IS NOT NULL AND NOT EXISTS ({{recorded}})
"""

# A lot is kept in the unit it was first booked in (recorded first, then the file's order);
# every row of the file must be in a unit of the same dimension (compared in Python).
_LOT_UNITS = f"""
WITH corrections AS MATERIALIZED (
    -- the operator's corrections, read once and probed by ref (never a scan per row)
    SELECT corrects_ref, MAX(id) AS last_id FROM movement
    WHERE operator_id = :op AND corrects_ref IS NOT NULL GROUP BY corrects_ref
), candidates AS (
    SELECT m.lot_ref, m.unit, 0 AS source, m.id AS position FROM movement m
    LEFT JOIN corrections c ON c.corrects_ref = m.movement_ref AND c.last_id > m.id
    WHERE m.operator_id = :op AND m.lot_ref IN (SELECT lot_ref FROM {STAGE})
      -- a row corrected since (or by this file) no longer says what the lot's unit is
      AND c.corrects_ref IS NULL
      AND m.movement_ref NOT IN (SELECT corrects_ref FROM {STAGE} WHERE corrects_ref IS NOT NULL)
    UNION ALL
    SELECT lot_ref, unit, 1, row_no FROM {STAGE} WHERE unit IS NOT NULL AND lot_ref IS NOT NULL
), firsts AS MATERIALIZED (
    SELECT lot_ref, unit FROM (
        SELECT lot_ref, unit, ROW_NUMBER() OVER (PARTITION BY lot_ref ORDER BY source, position) AS rank
        FROM candidates
    ) ranked WHERE rank = 1
)
SELECT s.row_no, s.lot_ref, s.unit, f.unit AS lot_unit
FROM {STAGE} s JOIN firsts f ON f.lot_ref = s.lot_ref
WHERE s.unit <> f.unit
"""
