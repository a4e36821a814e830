"""Incremental runs find what a full run finds when the licence register, the holds, the AEO
certificates and the terms list change between uploads: each change re-checks what it touches."""

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from ftz.cli.main import app
from ftz.discrepancies import service
from ftz.holds.models import Hold
from ftz.ingest import lists
from ftz.licences.models import Licence
from ftz.zones import service as zones
from tests.discrepancies.test_runs import open_findings, runner, split_at
from tests.helpers import import_customs, import_movements

ROOT = Path(__file__).parents[2]
FOLDER = ROOT / "tests" / "fixtures" / "zone-sample"
FILES = ["customs.csv", "movements_OP001.csv", "movements_OP002.csv", "movements_OP003.csv"]
CHANGES = ["licences", "licence_revoked", "hold", "hold_released", "aeo", "terms"]
# a change that only makes sense after another one
AFTER = {"licence_revoked": "licences", "hold_released": "hold"}


def _operator_ids(engine) -> dict[str, int]:
    with Session(engine) as session:
        return {o.code: o.id for o in zones.get_all_operators(session)}


def add_licences(engine) -> None:
    """Licences for the first removals citing one: most cover them, one names another country,
    one allows less than was removed; every other cited licence becomes unknown."""
    items = pd.read_csv(FOLDER / "customs.csv", dtype=str)
    cited = items[(items["direction"] == "REMOVAL") & items["licence_ref"].notna()].drop_duplicates("licence_ref")
    ids = _operator_ids(engine)
    with Session(engine) as session:
        for n, row in enumerate(cited.head(6).itertuples()):
            session.add(Licence(
                licence_ref=row.licence_ref, holder_id=ids[row.operator_code], issued_at=date(2026, 1, 1),
                valid_until=date(2026, 12, 31), control_codes="*",
                destination_countries="ZZ" if n == 1 else row.destination_country,
                quantity=Decimal("0.5") if n == 2 else None, unit="KGM" if n == 2 else None, row_no=n + 1,
                recorded_by="test",
            ))  # fmt: skip
        session.commit()


def revoke_licence(engine) -> None:
    with Session(engine) as session:
        first = session.execute(select(Licence).order_by(Licence.id).limit(1)).scalar_one()
        values = first.model_dump(exclude={"id", "recorded_at"}) | {"version": 2, "status": "REVOKED"}
        session.add(Licence(**values))
        session.commit()


def place_hold(engine) -> None:
    with Session(engine) as session:
        session.add(Hold(operator_id=_operator_ids(engine)["OP001"], lot_ref="LOT0002137", reason="test",
                         placed_by="auditor", starts_at=datetime(2026, 9, 1, tzinfo=UTC)))  # fmt: skip
        session.commit()


def release_hold(engine) -> None:
    with Session(engine) as session:
        hold = session.execute(select(Hold)).scalar_one()
        hold.released_at, hold.released_by = datetime(2026, 9, 5, tzinfo=UTC), "auditor"
        hold.release_reason, hold.release_recorded_at = "done", datetime.now(UTC)
        session.commit()


def set_aeo(engine) -> None:
    with Session(engine) as session:
        zones.update_operator(session, code="OP002", aeo="AE-AEO-2026-0001")
        session.commit()


def load_terms(engine, tmp_path: Path) -> None:
    path = tmp_path / "terms.csv"
    path.write_text("term,hs_code,control_code,source\nfresh fruit,281217,1C350,test\nvanadium,811292,1C202,test\n")
    assert lists.load(engine, kind="terms", path=path, source="test", loaded_by="test").version is not None


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    shares=st.lists(st.floats(min_value=0.05, max_value=0.95), min_size=4, max_size=4),
    order=st.permutations(range(len(FILES) * 2 + len(CHANGES))),
)
def test_incremental_equals_full_when_registers_and_lists_change(engine, tmp_path_factory, shares, order):
    tmp_path = tmp_path_factory.mktemp("registers")
    from tests.conftest import _empty

    _empty(engine)
    commands = [["zone", "add", "ZFX", "--name", "Z", "--country", "AE"]]
    commands += [["operator", "add", op, "--zone", "ZFX", "--name", op] for op in ("OP001", "OP002", "OP003")]
    for args in commands:
        assert runner.invoke(app, args).exit_code == 0
    halves = [
        split_at(FOLDER / name, tmp_path, share, str(n))
        for n, (name, share) in enumerate(zip(FILES, shares, strict=True))
    ]
    for step in _ordered(order):
        if isinstance(step, tuple):
            n, part = step
            path = halves[n][part]
            if n == 0:
                assert import_customs(engine, path).accepted
            else:
                assert import_movements(engine, path, FILES[n].removeprefix("movements_").removesuffix(".csv")).accepted
        else:
            _change(engine, step, tmp_path)
        service.run(engine)
    incremental = open_findings(engine)
    assert {kind for _, kind, *_ in incremental} >= {"UNLICENSED_STRATEGIC_REMOVAL"}
    full = service.run(engine, full=True)
    assert (full.new, full.closed) == (0, 0) and open_findings(engine) == incremental


def _ordered(order: list[int]) -> list:
    """The uploads' halves (first before second) and the changes, each after what it needs."""
    uploads = [(n, part) for part in (0, 1) for n in range(len(FILES))]
    events = [*uploads, *CHANGES]
    steps = [events[i] for i in order]
    firsts = iter(sorted((s for s in steps if isinstance(s, tuple)), key=lambda s: s[1]))
    steps = [next(firsts) if isinstance(s, tuple) else s for s in steps]
    for later, earlier in AFTER.items():
        i, j = steps.index(later), steps.index(earlier)
        if i < j:
            steps[i], steps[j] = steps[j], steps[i]
    return steps


def _change(engine, name: str, tmp_path: Path) -> None:
    actions = {
        "licences": add_licences, "licence_revoked": revoke_licence, "hold": place_hold,
        "hold_released": release_hold, "aeo": set_aeo,
    }  # fmt: skip
    if name == "terms":
        load_terms(engine, tmp_path)
    else:
        actions[name](engine)
