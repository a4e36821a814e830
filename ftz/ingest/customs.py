"""Importing customs entries (contract section 3): every version of every declaration item."""

import pandas as pd
from sqlalchemy import Connection, bindparam, func, insert, select, text

from ftz.database import UTCDateTime, utcnow
from ftz.errors import InvalidInput
from ftz.ingest import staging
from ftz.ingest.models import UploadKind
from ftz.ingest.pipeline import STAGE, RowError
from ftz.ingest.schema import CUSTOMS, HeaderCheck, later_than_tomorrow, oversized, row_errors, same_record, unknown_hs
from ftz.ledger.models import CustomsEntry
from ftz.zones.models import Operator, Zone

STORED = [c.name for c in CUSTOMS.columns if c.name not in ("zone_code", "operator_code")]
COLUMNS = {
    name: "time" if name == "lodged_at" else "int" if name in ("quantity", "item_no", "version") else "text"
    for name in STORED
} | {"zone_id": "int", "operator_id": "int", "row_no": "int"}
COMPARED = [*STORED, "zone_id", "operator_id"]


class CustomsImport:
    """A batch from the customs declaration system, for any zones and operators."""

    spec = CUSTOMS
    kind = UploadKind.CUSTOMS
    columns = COLUMNS

    def __init__(self, subheadings: frozenset[str], accepting_zones: frozenset[str], create_missing: bool = False):
        self.subheadings = subheadings
        self.accepting_zones = accepting_zones  # zones that accept unknown HS codes with a warning
        self.create_missing = create_missing
        self.created: list[str] = []
        self._zones: dict[str, tuple[int, str]] = {}
        self._operators: dict[str, tuple[int, int]] = {}
        # codes to register (--create-missing), by the provisional (negative) id staged for them
        self._new_zones: dict[int, str] = {}
        self._new_operators: dict[int, tuple[str, int]] = {}

    def load(self, conn: Connection) -> None:
        """The registered zones and operators, by code."""
        self._zones = {code: (zid, tz) for zid, code, tz in conn.execute(select(Zone.id, Zone.code, Zone.timezone))}
        self._operators = {
            code: (oid, zid) for oid, code, zid in conn.execute(select(Operator.id, Operator.code, Operator.zone_id))
        }

    def timezones(self, cells: pd.DataFrame, header: HeaderCheck) -> pd.Series:
        zone = _codes(cells, header, "zone_code")
        return zone.map({code: tz for code, (_, tz) in self._zones.items()}).astype("object").fillna("UTC")

    def lock(self, conn: Connection) -> None:
        # One customs batch at a time: two would each miss the other's declarations.
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (0x0F75C057,))

    def prepare(
        self, conn: Connection, frame: pd.DataFrame, cells: pd.DataFrame, header: HeaderCheck
    ) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
        """Resolve zone and operator codes (creating them with --create-missing); quantity > 0; known HS codes."""
        zone = _codes(cells, header, "zone_code")
        operator = _codes(cells, header, "operator_code")
        if self.create_missing:
            # only codes that passed their own checks (length, characters) are registered
            valid = frame["zone_code"].notna() & frame["operator_code"].notna()
            self._provisional(zone[valid], operator[valid])
        zone_id = zone.map({code: zid for code, (zid, _) in self._zones.items()})
        operator_zone = operator.map({code: zid for code, (_, zid) in self._operators.items()})
        frame["zone_id"] = zone_id.astype("Int64")
        frame["operator_id"] = operator.map({code: oid for code, (oid, _) in self._operators.items()}).astype("Int64")
        unknown_zone = (zone != "") & zone_id.isna()
        unknown_operator = (operator != "") & operator_zone.isna()
        elsewhere = zone_id.notna() & operator_zone.notna() & (zone_id != operator_zone)
        hint = " (register it first, or import the file with ftz import customs --create-missing)"
        unknown, warnings = unknown_hs(frame["hs_code"], self.subheadings, zone.isin(self.accepting_zones))
        errors = [
            row_errors("zone_code", unknown_zone, '"' + zone + '" is not a registered zone' + hint),
            row_errors("operator_code", unknown_operator, '"' + operator + '" is not a registered operator' + hint),
            row_errors("operator_code", elsewhere, '"' + operator + '" is registered in another zone'),
            row_errors("quantity", frame["quantity"].notna() & (frame["quantity"] <= 0), "must be greater than 0"),
            oversized(frame),
            row_errors(
                "procedure",
                (frame["procedure"] == "DESTRUCTION") & (frame["direction"] == "ADMISSION"),
                "DESTRUCTION is the procedure of a removal (direction REMOVAL)",
            ),
            unknown,
        ]
        transfer_errors, elsewhere_warnings = self._transfer_checks(frame, zone)
        return [*errors, *transfer_errors], [warnings, elsewhere_warnings, later_than_tomorrow(frame, "lodged_at")]

    def _transfer_checks(self, frame: pd.DataFrame, zone: pd.Series) -> tuple[list[pd.DataFrame], pd.DataFrame]:
        """``destination_zone``: only on a removal, on a TRANSFER another zone than the row's own;
        ``previous_ref``: only on an admission. A zone ftz does not know (a zone abroad, not on
        ftz) is kept with a warning: the goods leave for their destination_country, and no
        arrival is awaited (contract section 9: transfers to a zone that ftz knows)."""
        frame["destination_zone"] = frame["destination_zone"].str.upper()
        target, removal = frame["destination_zone"], frame["direction"] == "REMOVAL"
        named = target.notna()
        unknown = named & removal & ~target.isin(list(self._zones))
        own = named & (frame["procedure"] == "TRANSFER") & (target == zone)
        later = frame["previous_ref"].notna() & (frame["direction"] != "ADMISSION")
        errors = [
            row_errors("destination_zone", named & ~removal, "only a removal (direction REMOVAL) names a zone"),
            row_errors("destination_zone", own, "a transfer goes to another zone than its own (zone_code)"),
            row_errors("previous_ref", later, "only an admission (direction ADMISSION) continues a declaration"),
        ]
        elsewhere = row_errors("destination_zone", unknown, '"' + target.fillna("") + '" is not a zone ftz knows: '
                               "kept as sent, the goods leaving for their destination_country")  # fmt: skip
        return errors, elsewhere

    def cross_warnings(self, conn: Connection) -> list[RowError]:
        """Admissions whose previous_ref names no declaration known to ftz (nor in this file):
        kept, since the zone the goods come from may not be on ftz."""
        return [
            RowError(r.row_no, "previous_ref", f'"{r.previous_ref}" names no declaration known to ftz; kept as sent')
            for r in staging.fetch(conn, _UNKNOWN_PREVIOUS).itertuples()
        ]

    def _provisional(self, zone: pd.Series, operator: pd.Series) -> None:
        """Codes the file names and nobody registered get provisional ids, registered (with
        placeholders) only by the final write, so that a rejected file registers nothing."""
        for code in sorted(set(zone[zone != ""]) - set(self._zones)):
            temporary = -1 - len(self._new_zones)
            self._zones[code] = (temporary, "UTC")
            self._new_zones[temporary] = code
        pairs = pd.DataFrame({"zone": zone, "operator": operator})
        pairs = pairs[(pairs.operator != "") & (pairs.zone != "")].drop_duplicates("operator")
        for row in pairs.itertuples():
            if row.operator not in self._operators:
                temporary = -1 - len(self._new_operators)
                self._operators[row.operator] = (temporary, self._zones[row.zone][0])
                self._new_operators[temporary] = (row.operator, self._zones[row.zone][0])

    def register(self, conn: Connection) -> None:
        """Register the codes staged with provisional ids, and stage their real ids instead
        (customs is the sender: no operator sends the file)."""
        if not self._new_zones and not self._new_operators:
            return
        self.load(conn)  # another import may have registered some of them since
        zone_ids = {}
        for temporary, code in self._new_zones.items():
            if code not in self._zones:
                # No column names a zone's country, but goods released for home use stay in it:
                # the rules read it (home use is no change of destination). The file's times
                # were read as UTC, so the zone keeps UTC until registered properly.
                country = _home_country(conn, temporary)
                zid = conn.execute(
                    insert(Zone)
                    .values(code=code, name=code, country=country or "ZZ", timezone="UTC", created_at=utcnow())
                    .returning(Zone.id)
                ).scalar_one()
                self._zones[code] = (zid, "UTC")
                where = f" in {country} (where its items release goods for home use)" if country else ""
                self.created.append(f"zone {code}{where}")
            zone_ids[temporary] = self._zones[code][0]
            _restage(conn, "zone_id", temporary, zone_ids[temporary])
        for temporary, (code, zone_id) in self._new_operators.items():
            zid = zone_ids.get(zone_id, zone_id)
            if code not in self._operators:
                oid = conn.execute(
                    insert(Operator)
                    .values(code=code, name=code, zone_id=zid, created_at=utcnow())
                    .returning(Operator.id)
                ).scalar_one()
                self._operators[code] = (oid, zid)
                self.created.append(f"operator {code}")
            elif self._operators[code][1] != zid:
                raise InvalidInput(f"operator {code} was registered in another zone meanwhile: send the file again")
            _restage(conn, "operator_id", temporary, self._operators[code][0])

    def cross_check(self, conn: Connection) -> list[RowError]:
        """Items twice in the file, and items already recorded with other content."""
        staging.index(conn, STAGE, ("declaration_ref", "item_no", "version"))
        errors = [
            RowError(r.row_no, "declaration_ref", f"{_item(r)} is also on row {r.first_row}")
            for r in staging.fetch(conn, _DUPLICATES).itertuples()
        ]
        errors += [
            RowError(
                r.row_no,
                "version",
                f"{_item(r)} is already recorded with other content; send the change as version {r.next_version}",
            )
            for r in staging.fetch(conn, _conflicts(conn.dialect.name)).itertuples()
        ]
        return errors

    def store(self, conn: Connection, upload_id: int) -> tuple[int, int]:
        """Append the items not already recorded; the number new (amendments are new versions)."""
        names = ", ".join(STORED)
        statement = text(
            f"INSERT INTO {CustomsEntry.__tablename__} "
            f"({names}, zone_id, operator_id, row_no, upload_id, recorded_at) "
            f"SELECT {names}, zone_id, operator_id, row_no, :upload, :now FROM {STAGE} s "
            "WHERE NOT EXISTS (SELECT 1 FROM customs_entry c WHERE c.declaration_ref = s.declaration_ref "
            "AND c.item_no = s.item_no AND c.version = s.version) ORDER BY s.row_no"
        ).bindparams(bindparam("now", type_=UTCDateTime()))
        new = conn.execute(statement, {"upload": upload_id, "now": utcnow()}).rowcount
        amendments = conn.execute(
            select(func.count()).where(CustomsEntry.upload_id == upload_id, CustomsEntry.version > 1)
        ).scalar_one()
        return new, amendments


def _home_country(conn: Connection, zone_id: int) -> str | None:
    """The country the file's HOME_USE removals of a zone go to most often, if any."""
    return conn.execute(
        text(
            f"SELECT destination_country FROM {STAGE} WHERE zone_id = :zone AND direction = 'REMOVAL' "
            "AND procedure = 'HOME_USE' AND destination_country IS NOT NULL "
            "GROUP BY destination_country ORDER BY count(*) DESC, destination_country LIMIT 1"
        ),
        {"zone": zone_id},
    ).scalar()


def _restage(conn: Connection, column: str, temporary: int, real: int) -> None:
    conn.execute(text(f"UPDATE {STAGE} SET {column} = :real WHERE {column} = :temporary"),
                 {"real": real, "temporary": temporary})  # fmt: skip


def _codes(cells: pd.DataFrame, header: HeaderCheck, name: str) -> pd.Series:
    """A code column as sent, upper-cased ("" where absent)."""
    if name not in header.columns:
        return pd.Series("", index=cells.index, dtype="str")
    return cells[header.columns[name]].str.strip().str.upper()


def _item(row) -> str:
    return f"declaration {row.declaration_ref} item {row.item_no} version {row.version}"


_DUPLICATES = f"""
SELECT s.row_no, s.declaration_ref, s.item_no, s.version, d.first_row
FROM {STAGE} s
JOIN (SELECT declaration_ref, item_no, version, MIN(row_no) AS first_row FROM {STAGE}
      WHERE declaration_ref IS NOT NULL AND item_no IS NOT NULL AND version IS NOT NULL
      GROUP BY declaration_ref, item_no, version HAVING COUNT(*) > 1) d
  ON d.declaration_ref = s.declaration_ref AND d.item_no = s.item_no AND d.version = s.version
WHERE s.row_no > d.first_row
"""


_UNKNOWN_PREVIOUS = f"""
SELECT s.row_no, s.previous_ref FROM {STAGE} s
WHERE s.previous_ref IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM customs_entry c WHERE c.declaration_ref = s.previous_ref)
  AND NOT EXISTS (SELECT 1 FROM {STAGE} f WHERE f.declaration_ref = s.previous_ref)
ORDER BY s.row_no
"""


def _conflicts(dialect: str) -> str:
    """SQL: staged items whose version is recorded with other content."""
    return f"""
SELECT s.row_no, s.declaration_ref, s.item_no, s.version,
       (SELECT MAX(v.version) + 1 FROM customs_entry v
        WHERE v.declaration_ref = s.declaration_ref AND v.item_no = s.item_no) AS next_version
FROM {STAGE} s JOIN customs_entry c
  ON c.declaration_ref = s.declaration_ref AND c.item_no = s.item_no AND c.version = s.version
WHERE NOT ({same_record("c", "s", COMPARED, dialect)})
"""
