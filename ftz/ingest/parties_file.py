"""Reading a denied-party list file in any of contract section 7's three formats into one shape.

- the ftz CSV (``entry_id``, ``name``, ``aliases``, ``kind``, ``countries``, ``list``,
  ``reference``, ``listed_on``), checked cell by cell like every contract file;
- the UN Security Council Consolidated List XML (root ``CONSOLIDATED_LIST``, with
  ``INDIVIDUALS/INDIVIDUAL`` and ``ENTITIES/ENTITY``: the name is ``FIRST_NAME`` to
  ``FOURTH_NAME``, aliases ``INDIVIDUAL_ALIAS``/``ENTITY_ALIAS`` ``ALIAS_NAME`` (several may be
  joined by "; ") and ``NAME_ORIGINAL_SCRIPT``, the entry ``REFERENCE_NUMBER`` (else ``DATAID``),
  ``LISTED_ON``, ``UN_LIST_TYPE``, nationalities or address countries);
- OpenSanctions' ``targets.simple.csv`` (``id``, ``schema``, ``name``, ``aliases``,
  ``countries``, ``dataset``, ``first_seen``, …; values of one cell separated by ";").

The format is told from the content: a file starting with ``<`` is XML, a CSV whose header
holds ``id``, ``schema`` and ``name`` is OpenSanctions', any other CSV the ftz one. A file
that cannot be read as its format (broken XML, an XML of another schema, a CSV without
``name``, an entry without a name) is refused whole with a one-line reason naming the place.
"""

import csv
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

from ftz.errors import InvalidInput
from ftz.ingest.list_specs import PARTIES
from ftz.ingest.pipeline import RowError, open_reader, validate_file

COLUMNS = ["entry_id", "name", "aliases", "kind", "countries", "list", "reference", "listed_on", "row_no"]
_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
_OPENSANCTIONS = {"id", "schema", "name"}
_PEEK = 4096


def read(path: Path, filename: str) -> tuple[pd.DataFrame, list[RowError]]:
    """A stored list file (``filename``: its name as sent) as entries in one shape, and every row error."""
    form = detect(path)
    if form == "un_xml":
        frame, errors = read_un_xml(path, filename), []
    elif form == "opensanctions":
        frame, errors = read_opensanctions(path, filename)
    else:
        frame, errors = validate_file(PARTIES, open_reader(path, PARTIES))
        if "name" in frame and "entry_id" in frame:
            frame = frame.assign(listed_on=frame["listed_on"].dt.strftime("%Y-%m-%d"))
        return frame, errors
    listed = pd.to_datetime(frame["listed_on"], errors="coerce", format="%Y-%m-%d")
    bad = frame["listed_on"].notna() & listed.isna()
    errors += [RowError(int(n), "listed_on", "not a date (YYYY-MM-DD)") for n in frame.loc[bad, "row_no"]]
    return frame, errors


def detect(path: Path) -> str:
    """Which format a file is in: ``un_xml``, ``opensanctions`` or ``ftz``."""
    with path.open("rb") as handle:
        head = handle.read(_PEEK).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "un_xml"
    first = head.decode("utf-8", errors="replace").splitlines()[:1]
    header = {c.strip().lower() for c in next(csv.reader(first), [])} if first else set()
    return "opensanctions" if header >= _OPENSANCTIONS else "ftz"


def read_un_xml(path: Path, filename: str) -> pd.DataFrame:
    """The entries of a UN Security Council Consolidated List XML file."""
    rows = []
    root_seen = False
    try:
        for event, node in ET.iterparse(path, events=("start", "end")):
            if event == "start":
                if not root_seen:
                    root_seen = True
                    if node.tag != "CONSOLIDATED_LIST":
                        raise InvalidInput(
                            f"{filename}: not a UN Security Council Consolidated List: the root element is "
                            f"<{node.tag[:60]}>, not <CONSOLIDATED_LIST>"
                        )
                continue
            if node.tag in ("INDIVIDUAL", "ENTITY"):
                rows.append(_un_entry(filename, node, len(rows) + 1))
                node.clear()
    except ET.ParseError as exc:
        line, column = exc.position
        raise InvalidInput(f"{filename}: broken XML at line {line}, column {column}: {exc.msg}") from None
    if not root_seen:
        raise InvalidInput(f"{filename}: the file is empty")
    return pd.DataFrame(rows, columns=COLUMNS)


def _un_entry(filename: str, node: ET.Element, number: int) -> dict:
    """One INDIVIDUAL or ENTITY as a row; an entry without a name refuses the file."""
    person = node.tag == "INDIVIDUAL"
    name = " ".join(t for t in (_text(node, part) for part in _NAME_PARTS) if t)
    reference = _text(node, "REFERENCE_NUMBER")
    entry_id = reference or _text(node, "DATAID")
    place = f"{node.tag} #{number}" + (f" ({entry_id})" if entry_id else "")
    if not name:
        raise InvalidInput(f"{filename}: {place} has no name (FIRST_NAME to FOURTH_NAME are empty)")
    if not entry_id:
        raise InvalidInput(f"{filename}: {place} ({name[:60]}) has neither REFERENCE_NUMBER nor DATAID")
    aliases = []
    for alias in node.findall("INDIVIDUAL_ALIAS" if person else "ENTITY_ALIAS"):
        aliases += [a.strip() for a in (_text(alias, "ALIAS_NAME") or "").split("; ") if a.strip()]
    aliases.append(_text(node, "NAME_ORIGINAL_SCRIPT"))
    if person:
        countries = [v.text.strip() for v in node.findall("NATIONALITY/VALUE") if v.text and v.text.strip()]
    else:
        countries = [c for c in (_text(a, "COUNTRY") for a in node.findall("ENTITY_ADDRESS")) if c]
    listed = (_text(node, "LISTED_ON") or "")[:10] or None
    list_type = _text(node, "UN_LIST_TYPE")
    return {
        "entry_id": entry_id,
        "name": name,
        "aliases": _joined(aliases),
        "kind": "PERSON" if person else "ENTITY",
        "countries": _joined(countries),
        "list": f"UN Security Council ({list_type})" if list_type else "UN Security Council",
        "reference": reference,
        "listed_on": listed,
        "row_no": number,
    }


def read_opensanctions(path: Path, filename: str) -> tuple[pd.DataFrame, list[RowError]]:
    """The entries of an OpenSanctions ``targets.simple.csv`` export, and every row error."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InvalidInput(f"{filename}: not a readable CSV file: {str(exc).splitlines()[0][:200]}") from None
    frame.columns = [c.strip().lower() for c in frame.columns]
    frame = frame.replace("", None)
    rows = frame.index + 2  # the header is line 1
    errors = [RowError(int(n), "name", "required value is missing") for n in rows[frame["name"].isna()]]
    errors += [RowError(int(n), "id", "required value is missing") for n in rows[frame["id"].isna()]]
    first_seen = frame["first_seen"] if "first_seen" in frame else pd.Series(None, index=frame.index)
    out = pd.DataFrame(
        {
            "entry_id": frame["id"],
            "name": frame["name"],
            "aliases": frame.get("aliases"),
            "kind": frame["schema"].map(lambda s: "PERSON" if s == "Person" else "ENTITY"),
            "countries": frame.get("countries"),
            "list": frame.get("dataset"),
            "reference": frame["id"],
            "listed_on": first_seen.str.slice(0, 10),
            "row_no": rows,
        }
    )
    return out, errors


def _text(node: ET.Element, tag: str) -> str | None:
    found = node.find(tag)
    text = found.text.strip() if found is not None and found.text else ""
    return text or None


def _joined(values: list[str | None]) -> str | None:
    """Distinct values in order, separated by ";" (a ";" inside a value becomes ",")."""
    kept = dict.fromkeys(v.replace(";", ",") for v in values if v)
    return ";".join(kept) or None
