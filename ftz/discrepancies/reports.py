"""Runs as of a past moment: reports of what would have been found then, read by customs only."""

from sqlalchemy import select
from sqlmodel import Session

from ftz.auth.scope import Caller, Permission, get_visible, visible
from ftz.discrepancies.models import ReportFinding, ReportFindingPublic, Run
from ftz.errors import InvalidInput
from ftz.zones.models import Operator, Zone


def get_report(session: Session, *, caller: Caller, run_id: int) -> list[ReportFindingPublic]:
    """The findings a run as of a past moment reported, within the caller's zones, highest risk first."""
    caller.require(Permission.REVIEW)
    run = get_visible(session, caller, Run, run_id, what="run")
    if run.as_of is None:
        raise InvalidInput(f"run {run.id} reconciled the live ledger: its findings are the discrepancies")
    query = (
        select(ReportFinding, Zone.code, Operator.code, Operator.aeo)
        .join(Zone, Zone.id == ReportFinding.zone_id)
        .join(Operator, Operator.id == ReportFinding.operator_id)
        .where(ReportFinding.run_id == run.id, visible(caller, ReportFinding))
        .order_by(ReportFinding.risk_score.desc(), ReportFinding.id)
    )
    return [
        ReportFindingPublic.model_validate(
            finding,
            update={
                "zone_code": zone,
                "operator_code": operator,
                "aeo": aeo,
                "control_codes": [c for c in finding.control_codes.split(",") if c],
            },
        )
        for finding, zone, operator, aeo in session.execute(query).all()
    ]
