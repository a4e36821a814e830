"""Writing contract files the way operators and customs send them."""

import csv
import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from ftz.ingest import service as ingest
from ftz.ingest.models import Upload
from ftz.ledger.models import CustomsEntry, Movement

MOVEMENT_HEADER = [
    "movement_ref", "movement_type", "occurred_at", "lot_ref", "hs_code", "description", "quantity", "unit",
    "customs_ref", "origin_country", "destination_country", "intended_destination", "removal_kind",
    "counterparty", "control_code", "process_ref", "value", "currency", "corrects_ref", "note",
]  # fmt: skip


def admission(ref: str = "M1", lot: str = "LOT1", **fields: str) -> dict[str, str]:
    """A valid ADMISSION row; ``fields`` override any column."""
    row = {
        "movement_ref": ref, "movement_type": "ADMISSION", "occurred_at": "2026-09-01T08:00:00",
        "lot_ref": lot, "hs_code": "8112.92", "description": "vanadium, unwrought", "quantity": "1000.5",
        "unit": "KGM", "customs_ref": "26AE0001", "origin_country": "KR",
    }  # fmt: skip
    return row | fields


def removal(ref: str = "M2", lot: str = "LOT1", **fields: str) -> dict[str, str]:
    """A valid REMOVAL row."""
    row = {
        "movement_ref": ref, "movement_type": "REMOVAL", "occurred_at": "2026-09-20T08:00:00",
        "lot_ref": lot, "hs_code": "811292", "quantity": "400", "unit": "KGM", "customs_ref": "26AE0002",
        "destination_country": "DE", "removal_kind": "RE_EXPORT",
    }  # fmt: skip
    return row | fields


def customs_item(ref: str = "26AE0001", item: str = "1", **fields: str) -> dict[str, str]:
    """A valid customs ADMISSION item for OP001 in zone ZFX."""
    row = {
        "declaration_ref": ref, "item_no": item, "direction": "ADMISSION", "lodged_at": "2026-09-01T07:00:00",
        "zone_code": "ZFX", "operator_code": "OP001", "lot_ref": "LOT1", "hs_code": "81129200",
        "quantity": "1.0005", "unit": "TNE", "origin_country": "KR",
    }  # fmt: skip
    return row | fields


def write_csv(path: Path, rows: list[dict[str, str]], delimiter: str = ",", bom: bool = False) -> Path:
    """Write rows as CSV with the union of their keys as header."""
    header: list[str] = []
    for row in rows:
        header += [key for key in row if key not in header]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(("\ufeff" if bom else "") + buffer.getvalue(), encoding="utf-8")
    return path


def import_movements(engine: Engine, path: Path, operator: str = "OP001") -> ingest.ImportReport:
    return ingest.import_movements(engine, source=path, filename=path.name, operator_code=operator, sent_by="test")


def import_customs(engine: Engine, path: Path, create_missing: bool = False) -> ingest.ImportReport:
    report, _ = ingest.import_customs(
        engine, source=path, filename=path.name, sent_by="test", create_missing=create_missing
    )
    return report


def count(engine: Engine, model) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()[0]


def stored(engine: Engine) -> tuple[int, int]:
    """How many movements and customs entries the ledger holds."""
    return count(engine, Movement), count(engine, CustomsEntry)


def messages(report: ingest.ImportReport) -> list[str]:
    return [str(error) for error in report.errors]


@contextmanager
def serving(app) -> Iterator[str]:
    """The application served by uvicorn on a free local port, for real HTTP clients and browsers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


__all__ = ["Upload", "admission", "count", "customs_item", "messages", "removal", "stored", "write_csv"]
