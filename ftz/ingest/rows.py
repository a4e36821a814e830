"""What a reader hands on: chunks of a file's rows as text cells, with their row numbers, and
the rows whose shape is wrong; and the check every text file passes first."""

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ftz.errors import InvalidInput

Progress = Callable[[int, float], None]
"""Called with the rows read so far and the fraction of the file read (0 to 1)."""


@dataclass
class Chunk:
    """Rows of a file as text: ``cells`` has one str column per header, ``row_no`` aligned."""

    cells: pd.DataFrame
    row_no: pd.Series


@dataclass
class StructuralError:
    """A row whose shape is wrong (too many or too few fields): no cell of it can be trusted."""

    row_no: int
    message: str


def make_chunk(rows: list[list[str]], numbers: list[int], header: list[str]) -> Chunk:
    """A chunk of text rows numbered ``numbers`` under ``header``."""
    # Columns are addressed by position: a header may repeat a name (reported as an error).
    columns = range(len(header))
    cells = pd.DataFrame(rows, columns=columns, dtype="str") if rows else pd.DataFrame(columns=columns, dtype="str")
    return Chunk(cells, pd.Series(numbers, dtype="int64"))


def check_utf8(path: Path, quotes: bool = False) -> None:
    """Raise ``InvalidInput`` naming the line of the first byte that is not UTF-8 (and, for
    CSV, of a quoted field never closed, which would swallow the rows after it)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    quote_count = 0
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            quote_count += block.count(b'"')
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                line += block.count(b"\n", 0, exc.start)
                bad = block[exc.start : exc.start + 1].hex().upper()
                raise InvalidInput(f"not UTF-8 text: byte 0x{bad} on line {line} (save the file as UTF-8)") from None
            if b"\x00" in block:
                raise InvalidInput("not a text file: it holds binary data (NUL bytes)")
            line += block.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise InvalidInput(f"not UTF-8 text: the file ends inside a character (line {line})") from None
    if quotes and quote_count % 2:
        line = _unclosed_quote_line(path)
        raise InvalidInput(f"a quoted field is never closed: see line {line}, the first with an odd number of quotes")


def _unclosed_quote_line(path: Path) -> int:
    """The first line with an odd number of double quotes: where a field opens and, in a
    file with a quote never closed, most likely the culprit (doubled quotes come in pairs)."""
    with path.open("rb") as f:
        for number, text in enumerate(f, start=1):
            if text.count(b'"') % 2:
                return number
    return 0
