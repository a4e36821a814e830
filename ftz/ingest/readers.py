"""Turning a stored file (CSV, XLSX or JSON) into chunks of text cells with their row numbers.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first record
row 2 (a quoted value spanning lines is still one row). In JSON the row is the object's
position in the array, from 1. Anything that makes the file unreadable as a whole raises
``InvalidInput`` with a one-line reason; cell-level problems are left to validation.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ftz.errors import InvalidInput, first_line
from ftz.ingest import json_rows
from ftz.ingest.rows import Chunk, Progress, StructuralError, check_utf8, make_chunk


class TableReader:
    """Reads one stored file; ``header`` is known after opening, ``chunks()`` streams rows."""

    def __init__(
        self,
        path: Path,
        *,
        chunk_rows: int,
        xlsx_max_bytes: int,
        json_max_bytes: int,
        columns: tuple[str, ...] | None = None,
    ):
        self.path = path
        # The keys a JSON object may have (matched case-insensitively): any other is refused at
        # once, so that the cells built grow with the rows, never with rows times stray keys.
        self.columns = columns
        self.chunk_rows = chunk_rows
        # CSV is read in blocks of bytes; a typical movement row is about 130 bytes.
        self.block_bytes = max(chunk_rows * 130, 1 << 16)
        self.xlsx_max_bytes = xlsx_max_bytes
        self.structural_errors: list[StructuralError] = []
        self.decimal_comma = False
        self.file_format = sniff_format(path)
        self.header: list[str] = []
        self._header_line = 1  # the CSV line the header is on: blank lines before it keep their numbers
        if self.file_format == "csv":
            self.delimiter = self._open_csv()
            self.decimal_comma = self.delimiter == ";"
        elif self.file_format == "xlsx":
            self._check_zip()
            self.read_header()
        else:
            self._json = json_rows.load(path, max_bytes=json_max_bytes, columns=columns)
            self.header = self._json.header
            self.structural_errors = self._json.errors

    @property
    def holds_nothing(self) -> bool:
        """Whether the file is a JSON array of no object (which names no column)."""
        return self.file_format == "json" and not self._json.objects

    def chunks(self, progress: Progress | None = None) -> Iterator[Chunk]:
        """The file's rows, a chunk at a time; fully empty rows are skipped."""
        source = {
            "csv": self._csv_chunks,
            "xlsx": self._xlsx_chunks,
            "json": lambda: json_rows.chunks(self._json, self.chunk_rows),
        }
        done = 0
        for chunk, fraction in source[self.file_format]():
            cells = chunk.cells
            blank = (cells == "").all(axis=1) if len(cells.columns) else pd.Series(True, cells.index)
            if blank.any():
                chunk = Chunk(cells[~blank].reset_index(drop=True), chunk.row_no[~blank].reset_index(drop=True))
            done += len(chunk.cells)
            if progress:
                progress(done, fraction)
            if len(chunk.cells):
                yield chunk

    def _json_chunks(self) -> Iterator[tuple[Chunk, float]]:
        return json_rows.chunks(self._json, self.chunk_rows)

    # CSV -----------------------------------------------------------------------------
    def _open_csv(self) -> str:
        check_utf8(self.path, quotes=True)
        with self.path.open("r", encoding="utf-8-sig", newline="") as f:
            first = f.readline()
            while first and not first.strip():
                first = f.readline()  # blank lines before the header
                self._header_line += 1
        if not first.strip():
            raise InvalidInput("the file is empty: no header row")
        delimiter = ";" if first.count(";") > first.count(",") else ","
        try:
            self.header = next(csv.reader([first], delimiter=delimiter))
        except csv.Error as exc:
            raise InvalidInput(f"the header row is not readable CSV: {exc}") from None
        return delimiter

    def _csv_chunks(self) -> Iterator[tuple[Chunk, float]]:
        state = {"next_row": self._header_line + 1, "malformed": False}
        try:
            yield from self._csv_chunks_fast(state)
        except pa.ArrowInvalid as exc:
            if not state["malformed"]:
                raise InvalidInput(f"not a readable CSV file: {first_line(exc)}") from None
            # pyarrow drops a malformed row without saying where it was, so row numbers
            # after it would be wrong: read on from the first row not yet handed out, in
            # Python, which numbers every row exactly.
            yield from self._csv_chunks_exact(skip_before=state["next_row"])

    def _csv_chunks_fast(self, state: dict) -> Iterator[tuple[Chunk, float]]:
        def on_invalid(_row: object) -> str:
            state["malformed"] = True
            return "error"

        names = [f"c{i}" for i in range(len(self.header))]
        size = max(self.path.stat().st_size, 1)
        with self.path.open("rb") as raw:
            counted = _CountingReader(raw)
            reader = pacsv.open_csv(
                counted,
                read_options=pacsv.ReadOptions(
                    block_size=self.block_bytes, skip_rows=self._header_line, column_names=names, encoding="utf8"
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.delimiter,
                    newlines_in_values=True,
                    ignore_empty_lines=False,
                    invalid_row_handler=on_invalid,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            for batch in reader:
                cells = batch.to_pandas()
                cells.columns = range(len(self.header))
                first = state["next_row"]
                state["next_row"] = first + len(cells)
                row_no = pd.Series(range(first, first + len(cells)), dtype="int64")
                yield Chunk(cells, row_no), min(counted.count / size, 1.0)

    def _csv_chunks_exact(self, skip_before: int) -> Iterator[tuple[Chunk, float]]:
        width = len(self.header)
        size = max(self.path.stat().st_size, 1)
        with self.path.open("r", encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f, delimiter=self.delimiter)
            for _ in range(self._header_line):
                next(reader)
            rows: list[list[str]] = []
            numbers: list[int] = []
            try:
                for number, fields in enumerate(reader, start=self._header_line + 1):
                    if number < skip_before:
                        continue
                    if len(fields) != width and any(fields):
                        self.structural_errors.append(
                            StructuralError(number, f"{len(fields)} fields where the header has {width}")
                        )
                        continue
                    rows.append(fields if any(fields) else [""] * width)
                    numbers.append(number)
                    if len(rows) >= self.chunk_rows:
                        yield make_chunk(rows, numbers, self.header), min(f.tell() / size, 1.0)
                        rows, numbers = [], []
            except csv.Error as exc:
                raise InvalidInput(f"not a readable CSV file: {exc}") from None
            yield make_chunk(rows, numbers, self.header), 1.0

    # XLSX ----------------------------------------------------------------------------
    def _check_zip(self) -> None:
        try:
            with zipfile.ZipFile(self.path) as archive:
                total = sum(info.file_size for info in archive.infolist())
                if total > self.xlsx_max_bytes:
                    raise InvalidInput(
                        f"the workbook unpacks to {total:,} bytes, more than the "
                        f"{self.xlsx_max_bytes:,} allowed (a compressed bomb or a sheet too large)"
                    )
                if "xl/workbook.xml" not in archive.namelist():
                    raise InvalidInput("a ZIP archive but not an XLSX workbook (no xl/workbook.xml)")
        except zipfile.BadZipFile as exc:
            raise InvalidInput(f"not a readable XLSX workbook: {exc}") from None

    def _xlsx_chunks(self) -> Iterator[tuple[Chunk, float]]:
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(self.path.open("rb"), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise InvalidInput(f"not a readable XLSX workbook: {first_line(exc)}") from None
        try:
            sheet = workbook.worksheets[0]
            total = max(sheet.max_row or 1, 1)
            rows: list[list[str]] = []
            numbers: list[int] = []
            header: list[str] | None = None
            try:
                # Each row as wide as its own last cell: a stray cell far to the right is seen
                # (and refused) on its row without making every row 16,384 cells wide.
                sheet.reset_dimensions()
                rows_iter = sheet.iter_rows(values_only=True)
                for number, values in enumerate(rows_iter, start=1):
                    texts = [_cell_text(v) for v in values]
                    if header is None:
                        if any(texts):
                            header = _trim_header(texts)
                            self.header = header
                        continue
                    texts = (texts + [""] * len(header))[: max(len(header), len(texts))]
                    if len(texts) > len(header) and any(texts[len(header) :]):
                        self.structural_errors.append(
                            StructuralError(number, f"cells beyond the header's {len(header)} columns")
                        )
                        continue
                    rows.append(texts[: len(header)])
                    numbers.append(number)
                    if len(rows) >= self.chunk_rows:
                        yield make_chunk(rows, numbers, header), min(number / total, 1.0)
                        rows, numbers = [], []
            except Exception as exc:  # openpyxl and its XML parser raise many kinds for a damaged sheet
                raise InvalidInput(f"not a readable XLSX workbook: {first_line(exc)}") from None
            if header is None:
                raise InvalidInput("the workbook's first sheet is empty: no header row")
            yield make_chunk(rows, numbers, header), 1.0
        finally:
            workbook.close()

    def read_header(self) -> list[str]:
        """The header (for XLSX it is only known once the first sheet is read)."""
        if self.file_format == "xlsx" and not self.header:
            from openpyxl import load_workbook

            try:
                workbook = load_workbook(self.path.open("rb"), read_only=True, data_only=True)
                for values in workbook.worksheets[0].iter_rows(values_only=True, max_col=256):
                    texts = [_cell_text(v) for v in values]
                    if any(texts):
                        self.header = _trim_header(texts)
                        break
                workbook.close()
            except InvalidInput:
                raise
            except Exception as exc:
                raise InvalidInput(f"not a readable XLSX workbook: {first_line(exc)}") from None
            if not self.header:
                raise InvalidInput("the workbook's first sheet is empty: no header row")
        return self.header


class _CountingReader(io.RawIOBase):
    """Wraps a binary file to count the bytes read (for the progress fraction)."""

    def __init__(self, raw: io.BufferedReader):
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        self.count += n or 0
        return n

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data


_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"\xd0\xcf\x11\xe0": "an old Excel (XLS) or Office file; save it as XLSX or CSV",
    b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"\x7fELF": "a program",
    b"MZ": "a Windows program",
}


def sniff_format(path: Path) -> str:
    """``csv``, ``xlsx`` or ``json``, from the file's content (its name is not trusted)."""
    with path.open("rb") as f:
        head = f.read(8192)
    if not head.strip():
        raise InvalidInput("the file is empty")
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise InvalidInput(f"not a CSV, XLSX or JSON file: it is {what}")
    if b"\x00" in head:
        raise InvalidInput("not a text file: it holds binary data (NUL bytes); send CSV, XLSX or JSON")
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    # "[{" or "[]" opens a JSON array; a CSV header may start with "[" too.
    return "json" if text[:1] == b"{" or (text[:1] == b"[" and text[1:].lstrip()[:1] in (b"{", b"]", b"")) else "csv"


def _trim_header(texts: list[str]) -> list[str]:
    while texts and not texts[-1]:
        texts.pop()
    return texts


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        # repr gives the shortest text that reads back as the same float: 5554.17, not
        # 5554.1700000000001; Decimal turns 1e-05 into plain 0.00001.
        text = format(Decimal(repr(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)
