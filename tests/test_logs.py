"""Logs as JSON lines on request, each line of a run carrying its run id."""

import json
import logging

from ftz import logs
from ftz.config import get_settings
from ftz.discrepancies import service
from tests.discrepancies.test_runs import two_lots


def test_json_logs_carry_the_run_id_on_every_line_of_a_run(engine, tmp_path, monkeypatch, capsys):
    two_lots(engine, tmp_path)
    monkeypatch.setenv("FTZ_LOG_FORMAT", "json")
    get_settings.cache_clear()
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))  # restored after the test
    monkeypatch.setattr(root, "level", root.level)
    logs.configure()
    capsys.readouterr()
    record = service.run(engine)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    of_run = [line for line in lines if line["logger"] == "ftz.runs"]
    starts = ("run started by system", "read in 1 partition(s) of at most", "run succeeded in ")
    assert len(of_run) == 3 and all(line["message"].startswith(s) for line, s in zip(of_run, starts, strict=True))
    assert {line["run_id"] for line in of_run} == {record.id}
    assert all(line["time"].endswith("+00:00") and line["level"] == "INFO" for line in of_run)
