"""A JSON upload (an array of objects, one per row) read as text cells, numbers as their exact
decimal text: a quantity never passes through float. The row is the object's position in the
array, from 1."""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ftz.errors import InvalidInput
from ftz.ingest.rows import Chunk, StructuralError, check_utf8, make_chunk


@dataclass
class JsonRows:
    """The file's objects, and the columns they name (as first spelt, and as matched)."""

    header: list[str]
    names: list[str]  # each column's name lowered: keys match columns case-insensitively
    objects: list
    errors: list[StructuralError] = field(default_factory=list)


def load(path: Path, *, max_bytes: int, columns: tuple[str, ...] | None) -> JsonRows:
    """The file parsed whole (it is bounded by ``max_bytes``); a key outside ``columns`` or two
    keys naming one column refuse it with the row."""
    size = path.stat().st_size
    if size > max_bytes:
        raise InvalidInput(
            f"the JSON file has {size:,} bytes, more than the {max_bytes:,} allowed; send CSV for large files"
        )
    check_utf8(path)
    try:
        data = json.loads(
            path.read_text(encoding="utf-8-sig"),
            parse_float=number,
            parse_int=str,
            parse_constant=_no_constant,
            object_pairs_hook=_no_duplicates,
        )
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise InvalidInput("not valid JSON: nested too deeply") from None
    if not isinstance(data, list):
        raise InvalidInput("the JSON must be an array of objects, one per row")
    header: dict[str, str] = {}  # each column's name as matched (case-insensitively), as first spelt
    errors = []
    allowed = {c.lower() for c in columns} if columns else None
    for row, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            errors.append(StructuralError(row, "is not a JSON object"))
            continue
        if allowed is not None:
            unknown = next((key for key in item if key.strip().lower() not in allowed), None)
            if unknown is not None:
                shown = unknown if len(unknown) <= 60 else unknown[:60] + "…"
                raise InvalidInput(f'row {row}, "{shown}": unknown key (the keys are: {", ".join(columns)})')
        spelt: dict[str, str] = {}
        for key in item:
            name = key.strip().lower()
            if name in spelt:
                raise InvalidInput(f'row {row}: the keys "{spelt[name]}" and "{key}" name the same column')
            spelt[name] = key
            header.setdefault(name, key)
    return JsonRows(list(header.values()), list(header), data, errors)


def chunks(rows: JsonRows, chunk_rows: int) -> Iterator[tuple[Chunk, float]]:
    """The objects as rows of text cells, ``chunk_rows`` at a time, with the fraction read."""
    texts_of: list[list[str]] = []
    numbers: list[int] = []
    total = max(len(rows.objects), 1)
    for row, item in enumerate(rows.objects, start=1):
        if not isinstance(item, dict):
            continue
        named = {key.strip().lower(): value for key, value in item.items()}
        texts_of.append([_text(named.get(name)) for name in rows.names])
        numbers.append(row)
        if len(texts_of) >= chunk_rows:
            yield make_chunk(texts_of, numbers, rows.header), row / total
            texts_of, numbers = [], []
    yield make_chunk(texts_of, numbers, rows.header), 1.0


def number(text: str) -> str:
    """A JSON number with a fraction or exponent as its exact decimal text: ``2.5E-1`` is
    ``0.25`` (JSON allows the exponent; the checks read plain decimals). An exponent too far out
    for any quantity is left as written, and refused by the checks, not spelt out in digits."""
    if "e" not in text and "E" not in text:
        return text
    value = Decimal(text)
    return format(value, "f") if abs(value.adjusted()) <= 30 else text


def _text(value: object) -> str:
    if isinstance(value, dict | list | bool):
        return json.dumps(value)  # shown as JSON, so the cell's check names what was sent
    return "" if value is None else str(value)


def _no_constant(name: str) -> str:
    raise InvalidInput(f"not valid JSON: {name} is not a number JSON allows")


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        doubled = next(key for key in keys if keys.count(key) > 1)
        raise InvalidInput(f'not valid here: an object has the key "{doubled}" twice')
    return dict(pairs)
