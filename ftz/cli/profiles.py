"""Risk profiles from the command line (contract section 8): ``ftz profile load|show|test``."""

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from ftz.cli.common import caller, command, fail, out
from ftz.database import get_engine, session_scope
from ftz.discrepancies.backtest import backtest
from ftz.errors import InvalidInput
from ftz.profiles import service as profiles
from ftz.profiles.schemas import ProfileFileError

profile_app = typer.Typer(help="Risk profiles: customs' standing instructions to look at certain consignments.")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path.name}: cannot be read ({exc})") from None


def _refused(exc: ProfileFileError, path: Path) -> None:
    """Each error on standard output, one line each; the one-line reason on standard error."""
    for error in exc.errors:
        out(" ".join(str(error).split()))  # a YAML parser's message spans lines
    fail(f"{path.name}: refused, {len(exc.errors)} errors; nothing changed")


@profile_app.command("load")
@command
def load(path: Path) -> None:
    """Load a new version of the profiles in force, all or nothing."""
    text = _read(path)
    try:
        with session_scope() as session:
            version = profiles.create(session, caller=caller(), text=text, filename=path.name)
            number, count = version.version, len(version.profiles)
    except ProfileFileError as exc:
        _refused(exc, path)
    out(f"{path.name}: {count} profiles loaded as version {number}; the next run re-checks every customs item")


@profile_app.command("show")
@command
def show() -> None:
    """The profiles in force, with version and who loaded them."""
    with session_scope() as session:
        version = profiles.get(session, caller=caller())
        if version is None:
            out("no risk profiles loaded")
            return
        hits = profiles.hit_counts(session, caller=caller())
        out(f"version {version.version}, loaded {version.loaded_at:%Y-%m-%d %H:%M} UTC by {version.loaded_by} "
            f"from {version.filename}")  # fmt: skip
        out(f"{'code':<20} {'severity':<9} {'channel':<7} {'valid':<23} {'open hits':>9}  title")
        for p in version.profiles:
            valid = f"{p.get('valid_from') or '-'} .. {p.get('valid_until') or '-'}"
            out(f"{p['code']:<20} {p['severity']:<9} {p['channel']:<7} {valid:<23} {hits.get(p['code'], 0):>9}  "
                f"{p['title']}")  # fmt: skip


@profile_app.command("test")
@command
def test(
    path: Path,
    since: Annotated[
        str | None, typer.Option(help="Only customs items lodged on or after this day (YYYY-MM-DD).")
    ] = None,
) -> None:
    """How many stored customs items each profile of PATH would hit, with examples; stores nothing."""
    try:
        day = date.fromisoformat(since) if since else None
    except ValueError:
        raise InvalidInput(f"--since: {since!r} is not a date (YYYY-MM-DD)") from None
    try:
        result = backtest(get_engine(), caller=caller(), text=_read(path), since=day)
    except ProfileFileError as exc:
        _refused(exc, path)
    out(f"{'code':<20} {'hits':>6}  examples")
    for code, count in result.counts.items():
        out(f"{code:<20} {count:>6}  {', '.join(result.examples[code])}")
    out(f"{sum(result.counts.values())} hits on the stored customs items"
        + (f" lodged since {day}" if day else "") + "; nothing was stored")  # fmt: skip


def print_selectivity(channels: list) -> None:
    """After a customs import: how many items went to each channel, and every RED or YELLOW item
    with the profiles it hit (contract section 8: the answer names the profiles)."""
    if not channels:
        return
    counts = {name: sum(1 for c in channels if c.channel == name) for name in ("RED", "YELLOW", "GREEN")}
    out("selectivity: " + ", ".join(f"{n} {name}" for name, n in counts.items()))
    for c in sorted(channels, key=lambda c: c.channel != "RED"):  # RED first, in file order
        if c.channel in ("RED", "YELLOW"):
            exam = f" (examination {c.examination_id})" if c.examination_id else ""
            out(f"{c.channel} {c.declaration_ref}/{c.item_no} v{c.version}: {', '.join(c.profiles)}{exam}")
