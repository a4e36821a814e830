"""Customs' own acts from the command line: holds on lots (``ftz hold``) and the licence
register (``ftz import licences``)."""

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from ftz.cli.common import caller, command, fail, out
from ftz.database import get_engine, session_scope
from ftz.errors import checked
from ftz.holds import service as holds
from ftz.holds.schemas import HoldCreate, HoldRelease
from ftz.licences import service as licences

hold_app = typer.Typer(help="Holds: customs' orders that no part of a lot leave.")

MOMENT = "ISO 8601; without offset the zone's local time, a bare date the start of that day"


@hold_app.command("add")
@command
def hold_add(
    operator: Annotated[str, typer.Option(help="The operator whose lot is held.")],
    lot: Annotated[str, typer.Option(help="The lot (lot_ref).")],
    reason: Annotated[str, typer.Option(help="Why: kept in the audit trail, never shown to the operator.")],
    from_: Annotated[str | None, typer.Option("--from", help=f"From this moment ({MOMENT}); default now.")] = None,
) -> None:
    """Place a hold on a lot; print its id alone on standard output."""
    hold_in = checked(HoldCreate, operator_code=operator, lot_ref=lot, reason=reason, starts_at=from_)
    with session_scope() as session:
        hold = holds.create(session, caller=caller(), hold_in=hold_in)
    out(str(hold.id))
    out(f"hold {hold.id} placed on lot {hold.lot_ref} of {hold.operator_code} from {_utc(hold.starts_at)}", err=True)


@hold_app.command("release")
@command
def hold_release(
    hold_id: Annotated[int, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option(help="Why the hold ends.")],
    at: Annotated[str | None, typer.Option(help=f"At this moment ({MOMENT}); default now.")] = None,
) -> None:
    """End a hold."""
    release_in = checked(HoldRelease, reason=reason, released_at=at)
    with session_scope() as session:
        hold = holds.release(session, caller=caller(), hold_id=hold_id, release_in=release_in)
    out(f"hold {hold.id} on lot {hold.lot_ref} of {hold.operator_code} released at {_utc(hold.released_at)}")


@hold_app.command("list")
@command
def hold_list(
    operator: Annotated[str, typer.Option(help="Only this operator's holds.")] = "",
    active: Annotated[bool, typer.Option("--active", help="Only holds not released (or released later).")] = False,
) -> None:
    """The holds, newest first, with who placed and released them."""
    with session_scope() as session:
        found = holds.get_all(session, caller=caller(), operator_code=operator or None, active=active)
    if not found:
        out("no hold" + (" in force" if active else ""))
        return
    out(f"{'id':>5} {'operator':<9} {'lot':<16} {'from (UTC)':<16} {'placed by':<16} "
        f"{'released (UTC)':<16} {'released by':<16} reason")  # fmt: skip
    for h in found:
        released = _utc(h.released_at) if h.released_at else "-"
        why = h.reason + (f" / released: {h.release_reason}" if h.release_reason else "")
        out(f"{h.id:>5} {h.operator_code:<9} {h.lot_ref:<16} {_utc(h.starts_at):<16} {h.placed_by:<16} "
            f"{released:<16} {h.released_by or '-':<16} {why}")  # fmt: skip


@command
def import_licences(path: Path) -> None:
    """Import licence versions (CSV or JSON array): all rows, or on any invalid row none."""
    batch = licences.create(get_engine(), caller=caller(), source=path, filename=path.name)
    for error in batch.errors:
        out(str(error))
    if not batch.accepted:
        fail(batch.summary())
    out(batch.summary())


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")
