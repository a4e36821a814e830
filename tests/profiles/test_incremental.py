"""RISK_PROFILE_HIT in runs: loading new profiles re-checks every stored customs item, and
incremental runs end where a full run does."""

from pathlib import Path

from sqlmodel import Session, select

from ftz.auth.scope import SYSTEM
from ftz.cli.main import app
from ftz.discrepancies import service
from ftz.discrepancies.models import Discrepancy
from ftz.profiles import service as profiles
from tests.discrepancies.test_runs import open_findings, runner, split_at
from tests.helpers import import_customs, import_movements

FOLDER = Path(__file__).parents[1] / "fixtures" / "zone-sample"
FIRST = """
- code: RP-CN-METAL
  title: Steel from China
  severity: MEDIUM
  channel: YELLOW
  when: {direction: ADMISSION, origins: [CN], hs_prefixes: ["7208"]}
- code: RP-PK
  title: Anything to Pakistan
  severity: LOW
  channel: YELLOW
  when: {direction: REMOVAL, destinations: [PK]}
"""
SECOND = """
- code: RP-PK
  title: Anything to Pakistan or Egypt, by a non-AEO operator
  severity: HIGH
  channel: RED
  when: {direction: REMOVAL, destinations: [PK, EG], aeo: false}
- code: RP-FRUIT
  title: Fruit described as such
  severity: LOW
  channel: YELLOW
  when: {description_pattern: "(?i)fruit"}
"""


def _load(engine, text: str) -> None:
    with Session(engine) as session:
        profiles.create(session, caller=SYSTEM, text=text, filename="profiles.yaml")
        session.commit()


def _hits(engine) -> dict[str, int]:
    with Session(engine) as session:
        found = session.exec(
            select(Discrepancy).where(Discrepancy.kind == "RISK_PROFILE_HIT", Discrepancy.status != "CLOSED")
        ).all()
    counts: dict[str, int] = {}
    for d in found:
        counts[d.evidence["profile"]["code"]] = counts.get(d.evidence["profile"]["code"], 0) + 1
    return counts


def test_new_profiles_re_check_stored_items_and_incremental_equals_full(engine, tmp_path):
    commands = [["zone", "add", "ZFX", "--name", "Z", "--country", "AE"]]
    commands += [["operator", "add", op, "--zone", "ZFX", "--name", op] for op in ("OP001", "OP002", "OP003")]
    for args in commands:
        assert runner.invoke(app, args).exit_code == 0
    customs = split_at(FOLDER / "customs.csv", tmp_path, 0.5, "c")
    assert import_customs(engine, customs[0]).accepted
    for op in ("OP001", "OP002", "OP003"):
        assert import_movements(engine, FOLDER / f"movements_{op}.csv", op).accepted
    service.run(engine)
    _load(engine, FIRST)  # only profiles changed: the next run must still judge every stored item
    service.run(engine)
    first = _hits(engine)
    assert first["RP-PK"] > 0 and first["RP-CN-METAL"] > 0
    assert import_customs(engine, customs[1]).accepted
    service.run(engine)
    assert _hits(engine)["RP-PK"] > first["RP-PK"]
    _load(engine, SECOND)
    service.run(engine)
    second = _hits(engine)
    assert set(second) == {"RP-PK", "RP-FRUIT"}  # RP-CN-METAL's findings closed with its profile
    incremental = open_findings(engine)
    full = service.run(engine, full=True)
    assert (full.new, full.closed) == (0, 0) and open_findings(engine) == incremental
