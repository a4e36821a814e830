"""The ``ftz`` command: parse arguments, call one service, print the outcome."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from ftz.auth.scope import SYSTEM
from ftz.cli import runs
from ftz.cli.accounts import audit_app, token_app, user_app
from ftz.cli.common import command, fail, out, sender
from ftz.cli.customs import hold_app, import_licences
from ftz.cli.profiles import print_selectivity, profile_app
from ftz.database import get_engine, session_scope
from ftz.discrepancies import export
from ftz.errors import checked
from ftz.ingest import lists
from ftz.ingest import service as ingest
from ftz.ingest.pipeline import ImportReport
from ftz.ledger import service as ledger
from ftz.profiles import selectivity
from ftz.reference import service as reference
from ftz.reference.models import ListKind
from ftz.zones import service as zones
from ftz.zones.models import OperatorBase, ZoneBase

app = typer.Typer(help="ftz: oversight of Free Trade Zones.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
zone_app = typer.Typer(help="Free zones.", no_args_is_help=True)
operator_app = typer.Typer(help="Zone operators.", no_args_is_help=True)
import_app = typer.Typer(help="Import operators' and customs' files.", no_args_is_help=True)
discrepancies_app = typer.Typer(help="Discrepancies found by reconciliation.", no_args_is_help=True)
reference_app = typer.Typer(
    help="Reference lists: HS nomenclature, strategic correlation, destination risk, strategic terms."
)
app.add_typer(db_app, name="db")
app.add_typer(zone_app, name="zone")
app.add_typer(operator_app, name="operator")
app.add_typer(import_app, name="import")
app.add_typer(reference_app, name="reference", no_args_is_help=True)
app.add_typer(discrepancies_app, name="discrepancies")
app.add_typer(user_app, name="user", no_args_is_help=True)
app.add_typer(token_app, name="token", no_args_is_help=True)
app.add_typer(audit_app, name="audit", no_args_is_help=True)
app.add_typer(hold_app, name="hold", no_args_is_help=True)
app.add_typer(profile_app, name="profile", no_args_is_help=True)
app.command("serve")(runs.serve)
app.command("reconcile")(runs.reconcile)
app.command("runs")(runs.runs)
app.command("scheduler")(runs.scheduler)


@db_app.command("upgrade")
@command
def db_upgrade() -> None:
    """Create or migrate the schema."""
    from ftz.migrations import upgrade

    upgrade(get_engine())
    out("database schema is up to date")
    for version in lists.ensure_shipped(get_engine()):
        out(f"loaded the shipped {version.kind} list: {version.rows:,} rows (version {version.id})")


@reference_app.command("load")
@command
def reference_load(
    kind: Annotated[ListKind, typer.Argument(help="Which list: hs, controls, destinations, terms or parties.")],
    path: Path,
    source: Annotated[str, typer.Option(help="Where the list comes from (publication, date).")] = "",
) -> None:
    """Load a new version of a reference list; on any invalid row load nothing."""
    report = lists.load(get_engine(), kind=kind, path=path, source=source or path.name, loaded_by=sender())
    for error in report.errors:
        out(str(error))
    if report.errors:
        fail(f"{path.name}: rejected, {len(report.errors)} errors; nothing was loaded")
    version = report.version
    out(f"{kind} list version {version.id} in force: {version.rows:,} rows from {version.source}")


@reference_app.command("show")
@command
def reference_show() -> None:
    """The reference list versions in force, with source, date and size."""
    with session_scope() as session:
        versions = reference.get_all_in_force(session)
    if not versions:
        fail("no reference list is loaded: run `ftz db upgrade`")
    out(f"{'list':<13} {'version':>7} {'loaded (UTC)':<17} {'rows':>7}  {'sha256':<12}  source")
    for v in versions:
        loaded = v.loaded_at.strftime("%Y-%m-%d %H:%M")
        out(f"{v.kind:<13} {v.id:>7} {loaded:<17} {v.rows:>7,}  {v.sha256[:12]}  {v.source}")


@zone_app.command("add")
@command
def zone_add(
    code: str,
    name: Annotated[str, typer.Option(help="The zone's name.")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 country code.")],
    timezone: Annotated[str, typer.Option(help="IANA time zone of local times (default: the country's).")] = "",
) -> None:
    """Register a free zone."""
    with session_scope() as session:
        zone_in = ZoneBase(code=code, name=name, country=country, timezone=timezone)
        zone = zones.create_zone(session, zone_in=zone_in, actor=sender())
        out(f"zone {zone.code} registered ({zone.name}, {zone.country}, local time {zone.timezone})")
    others = zones.other_clocks(zone.country, zone.timezone) if not timezone else []
    if others:
        out(f"note: {zone.country} also keeps other times ({', '.join(others[:5])}"
            f"{', …' if len(others) > 5 else ''}); register the zone with --timezone if it is not on "
            f"{zone.timezone}", err=True)  # fmt: skip


@operator_app.command("add")
@command
def operator_add(
    code: str,
    zone: Annotated[str, typer.Option(help="The zone the operator is licensed in.")],
    name: Annotated[str, typer.Option(help="The operator's name.")],
    aeo: Annotated[str | None, typer.Option(help="Its AEO (or C-TPAT) certificate reference.")] = None,
) -> None:
    """Register a zone operator."""
    operator_in = checked(OperatorBase, code=code, name=name, aeo=aeo)
    with session_scope() as session:
        operator = zones.create_operator(session, operator_in=operator_in, zone_code=zone, actor=sender())
        certified = f", AEO certificate {operator.aeo}" if operator.aeo else ""
        out(f"operator {operator.code} registered in zone {zone.upper()}{certified}")


@operator_app.command("set")
@command
def operator_set(
    code: str,
    aeo: Annotated[str | None, typer.Option(help="Its AEO (or C-TPAT) certificate reference.")] = None,
    no_aeo: Annotated[bool, typer.Option("--no-aeo", help="It holds no AEO certificate (any more).")] = False,
) -> None:
    """Record an operator's AEO certificate (--aeo CERT_REF), or that it holds none (--no-aeo)."""
    if (aeo is None) == (not no_aeo):
        fail("give either --aeo CERT_REF or --no-aeo")
    with session_scope() as session:
        operator = zones.update_operator(session, code=code, aeo=None if no_aeo else aeo, actor=sender())
        certificate = f"AEO certificate {operator.aeo}" if operator.aeo else "no AEO certificate"
        out(f"operator {operator.code}: {certificate}")


@import_app.command("movements")
@command
def import_movements(
    path: Path,
    operator: Annotated[str, typer.Option(help="The operator that sends the file.")],
    create_missing: Annotated[
        bool,
        typer.Option("--create-missing", help="Register the operator if it is unknown (in --zone, or the only zone)."),
    ] = False,
    zone: Annotated[str, typer.Option(help="With --create-missing: the new operator's zone.")] = "",
) -> None:
    """Import an operator's movements file: all rows, or on any invalid row none."""
    code = operator.strip().upper()
    create_in = None
    if create_missing:
        with session_scope() as session:
            if zones.get_operator(session, code=code) is None:
                create_in = zone or _only_zone(session)
    with _progress(path) as progress:
        report = ingest.import_movements(
            get_engine(), source=path, filename=path.name, operator_code=operator, sent_by=sender(),
            progress=progress, create_in=create_in,
        )  # fmt: skip
    if create_in and report.accepted:
        out(f"operator {code} registered in zone {create_in.strip().upper()}")
    _print_report(report)


def _only_zone(session) -> str:
    """The zone a new operator joins when --zone is not given: the only one ftz knows."""
    known = [z.code for z in zones.get_all_zones(session)]
    if len(known) != 1:
        fail(f"--create-missing needs --zone to register a new operator: ftz knows {len(known)} zones "
             f"({', '.join(known) or 'none'})")  # fmt: skip
    return known[0]


# what a zone registered from a customs file lacks: nothing in it says the zone's time zone
_ZONE_LACKS = "; its local time is UTC: register a zone with `ftz zone add` before its files"


@import_app.command("customs")
@command
def import_customs(
    path: Path,
    create_missing: Annotated[
        bool,
        typer.Option("--create-missing", help="Register zones and operators the file names but ftz does not know."),
    ] = False,
) -> None:
    """Import customs entries: all rows, or on any invalid row none."""
    with _progress(path) as progress:
        report, created = selectivity.import_customs(
            get_engine(),
            source=path,
            filename=path.name,
            sent_by=sender(),
            create_missing=create_missing,
            progress=progress,
        )
    for what in created:
        lacks = _ZONE_LACKS if what.startswith("zone") else ""
        out(f"registered {what} (from the file, named by its code{lacks})")
    _print_report(report)
    print_selectivity(report.selectivity)


import_app.command("licences")(import_licences)


@app.command("lots")
@command
def lots(
    operator: Annotated[str, typer.Option(help="Only this operator's lots.")] = "",
    as_of: Annotated[
        str,
        typer.Option(
            help="Balances at this ISO 8601 date or date-time (the zone's local time where it names no "
            "offset; a bare date is the end of that day); default now."
        ),
    ] = "",
    strategic: Annotated[bool, typer.Option("--strategic", help="Only strategic lots.")] = False,
    summary: Annotated[bool, typer.Option("--summary", help="One line per operator instead of one per lot.")] = False,
) -> None:
    """Lots with their book balance, HS code and strategic status."""
    with session_scope() as session:
        operators = {o.id: o.code for o in zones.get_all_operators(session)}
        chosen = zones.get_operator_or_raise(session, code=operator.strip().upper()) if operator else None
        operator_id = chosen.id if chosen else None
        zone_codes = [zones.get_zone_code(session, zone_id=chosen.zone_id)] if chosen else None
        moment = zones.moment(session, value=as_of, zone_codes=zone_codes) if as_of else None
    balances = ledger.get_lot_balances(get_engine(), operator_id=operator_id, as_of=moment)
    balances["operator"] = balances["operator_id"].map(operators)
    if strategic:
        balances = balances[balances["strategic"]]
    if summary:
        out(f"{'operator':<10} {'lots':>6} {'in stock':>9} {'negative':>9} {'strategic':>10} {'movements':>10}")
        for code, group in balances.groupby("operator", sort=True):
            in_stock = sum(b > 0 for b in group["balance"])
            negative = sum(b < 0 for b in group["balance"])
            out(
                f"{code:<10} {len(group):>6} {in_stock:>9} {negative:>9} {group['strategic'].sum():>10} "
                f"{group['movements'].sum():>10}"
            )
        return
    out(f"{'operator':<9} {'lot':<16} {'hs_code':<10} {'balance':>16} {'unit':<4} {'strategic':<30} description")
    for row in balances.sort_values(["operator", "lot_ref"]).itertuples():
        status = (
            f"{row.basis} {row.control_codes}"
            if row.strategic
            else ("may be: " + row.may_be_codes if row.may_be_controlled else "")
        )
        out(
            f"{row.operator:<9} {row.lot_ref:<16} {row.hs_code:<10} {row.balance:>16,f} {row.unit:<4} "
            f"{status[:30]:<30} {row.hs_description[:60]}"
        )


@discrepancies_app.command("export")
@command
def discrepancies_export(
    format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (default: standard output).")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include closed discrepancies.")] = False,
    run: Annotated[int | None, typer.Option(help="The report of this run as of a past moment instead.")] = None,
) -> None:
    """Write the current discrepancies, every field of contract section 4 (or a past run's report)."""
    if format not in ("csv", "json"):
        fail(f'"{format}" is not a format: use csv or json')
    with session_scope() as session:
        if run is None:
            records, fields = export.rows(session, include_closed=all_), export.FIELDS
        else:
            records, fields = export.report_rows(session, caller=SYSTEM, run_id=run), export.REPORT_FIELDS
    content = export.to_csv(records, fields) if format == "csv" else export.to_json(records)
    if out_path is None:
        out(content, nl=False)
    else:
        out_path.write_text(content, encoding="utf-8")
        out(f"{len(records)} discrepancies written to {out_path}", err=True)


def _print_report(report: ImportReport) -> None:
    for error in report.errors:  # every one (section 5), whatever the stored report keeps
        out(str(error))
    for warning in report.warnings:
        out(f"warning: {warning}")
    if not report.accepted:
        fail(report.summary())
    out(report.summary() + f" (upload {report.upload_id})")


class _progress:
    """A progress bar on standard error while a file imports (only on a terminal)."""

    def __init__(self, path: Path):
        self.path = path
        self.bar = None

    def __enter__(self):
        if not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%  {task.fields[rows]:,} rows"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.bar.start()
        task = self.bar.add_task(self.path.name, total=1.0, rows=0)

        def update(rows: int, fraction: float) -> None:
            self.bar.update(task, completed=fraction, rows=rows)

        return update

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


if __name__ == "__main__":
    app()
