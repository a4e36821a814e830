"""Lots as the API and the pages show them: the ledger's balances and records, with the
operator's AEO certificate and the holds on each lot as the caller may read them."""

from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session

from ftz.auth.scope import Caller
from ftz.holds import service as holds
from ftz.holds.schemas import LotDetail, LotListed
from ftz.ledger import lots
from ftz.ledger.models import LotPublic
from ftz.zones.models import Operator


def get_all(engine: Engine, *, caller: Caller, **filters: Any) -> tuple[list[LotListed], str | None]:
    """A page of lots (``filters`` and cursor as ``ftz.ledger.lots.get_all`` takes them), each
    with its operator's AEO certificate and whether a hold is on it now."""
    found, next_after = lots.get_all(engine, caller=caller, **filters)
    with Session(engine) as session:
        return _listed(session, found), next_after


def get(engine: Engine, *, caller: Caller, operator_code: str, lot_ref: str) -> LotDetail:
    """A lot's balance and records from both sides, its operator's AEO certificate, and its
    holds: customs reads them whole, the operator since when and whether released."""
    history = lots.get_history(engine, caller=caller, operator_code=operator_code, lot_ref=lot_ref)
    with Session(engine) as session:
        on_lot = holds.get_all(session, caller=caller, operator_code=operator_code, lot_ref=lot_ref)
        lot = _listed(session, [history.lot])[0]
    return LotDetail(
        lot=lot, movements=history.movements, customs_entries=history.customs_entries, counts=history.counts,
        holds=on_lot, timezone=history.timezone,
    )  # fmt: skip


def _listed(session: Session, found: list[LotPublic]) -> list[LotListed]:
    codes = {lot.operator_code for lot in found}
    operators = {o.code: o for o in session.execute(select(Operator).where(Operator.code.in_(codes))).scalars()}
    held = holds.get_held(session, operator_ids={o.id for o in operators.values()})
    return [
        LotListed(
            **lot.model_dump(),
            aeo=operators[lot.operator_code].aeo,
            held=(operators[lot.operator_code].id, lot.lot_ref) in held,
        )
        for lot in found
    ]
