"""The backtest of a profile file, as an auditor limited to zones sees it."""

from sqlmodel import Session, select

from ftz.auth.models import Role
from ftz.auth.scope import Caller
from ftz.discrepancies.backtest import backtest
from ftz.zones.models import Zone
from tests.discrepancies import test_transfer_runs as two_zones

PROFILES = (two_zones.FOLDER / "profiles.yaml").read_text()


def _counts(engine, zone_ids: frozenset[int] | None) -> dict[str, int]:
    caller = Caller(user_id=None, name="aud", role=Role.AUDITOR, zone_ids=zone_ids)
    return backtest(engine, caller=caller, text=PROFILES).counts


def test_auditors_of_zones_tied_by_transfers_each_count_their_own_items(engine):
    two_zones.load(engine)
    with Session(engine) as session:
        zones = {z.code: z.id for z in session.exec(select(Zone))}
    every = _counts(engine, None)
    x, y = _counts(engine, frozenset({zones["ZFX"]})), _counts(engine, frozenset({zones["ZFY"]}))
    assert sum(x.values()) > 0 and sum(y.values()) > 0
    assert {code: x[code] + y[code] for code in every} == every
