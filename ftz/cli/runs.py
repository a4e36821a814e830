"""``ftz reconcile``, ``ftz runs``, ``ftz scheduler`` and ``ftz serve``: runs by hand, their
history, and the long-running processes (the nightly scheduler, the web application)."""

import os
from pathlib import Path
from typing import Annotated

import typer

from ftz import logs
from ftz.auth.scope import SYSTEM
from ftz.cli.common import command, fail, out, sender
from ftz.config import get_settings
from ftz.database import get_engine, session_scope
from ftz.discrepancies import export, health
from ftz.discrepancies import service as discrepancies
from ftz.migrations import schema_problem
from ftz.zones import service as zones


@command
def reconcile(
    as_of: Annotated[
        str,
        typer.Option(
            help="Report what would have been found at this date or date-time (the zone's local time where it "
            "names no offset; a bare date is the end of that day). The live findings are left as they are."
        ),
    ] = "",
    zone: Annotated[str, typer.Option(help="Only this zone.")] = "",
    full: Annotated[bool, typer.Option("--full", help="Recompute every lot.")] = False,
    wait: Annotated[
        float, typer.Option(help="Minutes to wait for a run in progress (default: report it and exit non-zero).")
    ] = 0,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="With --as-of: write the report's findings to this file.")
    ] = None,
    format: Annotated[str, typer.Option("--format", help="With --out: csv or json.")] = "csv",
    workers: Annotated[
        int,
        typer.Option(
            min=0,
            help="Reconcile a run of every lot on a local Dask cluster of this many processes (with "
            "FTZ_DASK_SCHEDULER set, its cluster is used instead). An incremental run stays in this process.",
        ),
    ] = 0,
) -> None:
    """Run a reconciliation and print its counts (with --as-of: a report of a past moment)."""
    if format not in ("csv", "json"):
        fail(f'"{format}" is not a format: use csv or json')
    moment = None
    if as_of:
        with session_scope() as session:
            moment = zones.moment(session, value=as_of, zone_codes=[zone] if zone else None)
    if out_path is not None:  # refused before the run, not after it
        if moment is None:
            fail("--out writes the report of a run --as-of a past moment; `ftz discrepancies export` the live ones")
        if out_path.is_dir() or not out_path.parent.is_dir():
            fail(f"{out_path}: {'is a folder' if out_path.is_dir() else 'its folder does not exist'}")
    logs.configure()
    record = discrepancies.run(
        get_engine(),
        as_of=moment,
        zone_code=zone or None,
        full=full,
        started_by=sender(),
        wait=wait * 60,
        workers=workers,
    )
    total = sum(record.counts.values())
    if moment is not None:
        out(
            f"run {record.id} as of {moment:%Y-%m-%d %H:%M:%S} UTC ({record.lots} lots): {total} discrepancies would "
            "have been found then (a report: the live findings are unchanged)"
        )
    else:
        how = "full" if record.full else "incremental"
        out(
            f"run {record.id} ({how}, {record.lots} lots): {total} discrepancies ({record.new} new, "
            f"{record.seen_again} seen again, {record.closed} closed as no longer supported)"
        )
    for kind, count in sorted(record.counts.items()):
        out(f"  {kind:<28} {count:>6}")
    if out_path is not None:
        with session_scope() as session:
            records = export.report_rows(session, caller=SYSTEM, run_id=record.id)
        fields = export.REPORT_FIELDS
        out_path.write_text(export.to_csv(records, fields) if format == "csv" else export.to_json(records), "utf-8")
        out(f"{len(records)} findings of run {record.id} written to {out_path}", err=True)


@command
def runs(
    limit: Annotated[int, typer.Option(help="How many runs to list, newest first.")] = 20,
    check: Annotated[
        bool, typer.Option("--check", help="Exit non-zero when the last successful run is too old (for monitoring).")
    ] = False,
) -> None:
    """The last successful run (with a warning when it is over a day old), the next scheduled runs, and recent runs."""
    with session_scope() as session:
        fresh = health.freshness(session)
        upcoming = health.scheduled(session)
        recent = discrepancies.get_all_runs(session, limit=limit)
    out(("WARNING: " if fresh.stale else "") + fresh.message)
    for job, at in upcoming:
        out(f"next: {job} at {at:%Y-%m-%d %H:%M:%S} UTC")
    if not upcoming:
        out("next: nothing scheduled (is `ftz scheduler` or `ftz serve --with-scheduler` running?)")
    header = f"{'run':>5} {'started (UTC)':<19} {'seconds':>8} {'zone':<8} {'outcome':<10} {'by':<16}"
    out(header + " findings / error")
    for run in recent:
        seconds = f"{(run.finished_at - run.started_at).total_seconds():.1f}" if run.finished_at else ""
        what = run.error or f"{sum(run.counts.values())} ({run.new} new, {run.closed} closed)"
        if run.as_of is not None and not run.error:
            what = f"report as of {run.as_of:%Y-%m-%d %H:%M} UTC: {sum(run.counts.values())}"
        out(
            f"{run.id:>5} {run.started_at:%Y-%m-%d %H:%M:%S} {seconds:>8} {run.zone_code or '(all)':<8} "
            f"{run.outcome:<10} {run.started_by[:16]:<16} {what[:100]}"
        )
    if check and fresh.stale:
        fail(fresh.message)


@command
def scheduler() -> None:
    """The nightly reconciliation scheduler, in the foreground (stops on SIGTERM or Ctrl-C)."""
    from ftz.scheduler import service as schedule

    logs.configure()
    problem = schema_problem(get_engine())
    if problem:
        fail(problem)
    schedule.run_in_foreground(get_engine())


@command
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    with_scheduler: Annotated[
        bool, typer.Option("--with-scheduler", help="Also run the nightly scheduler in this process (one machine).")
    ] = False,
) -> None:
    """The web application: the API under /api/v1, its OpenAPI description at /openapi.json."""
    import uvicorn

    if with_scheduler:
        os.environ["FTZ_WITH_SCHEDULER"] = "true"  # read by the application's start-up
        get_settings.cache_clear()
    logs.configure()
    uvicorn.run("ftz.app:create_app", factory=True, host=host, port=port, proxy_headers=True, log_config=None)
