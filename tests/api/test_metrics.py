"""/metrics: what a Prometheus server scrapes, and who may."""

from collections import Counter

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session, select

from ftz.app import create_app
from ftz.config import get_settings
from ftz.discrepancies import partitions, service
from ftz.discrepancies.models import Discrepancy
from tests.discrepancies.test_runs import two_lots


def scrape(client: TestClient, **headers) -> dict[tuple, float]:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def test_metrics_count_runs_by_outcome_and_findings_by_kind(engine, tmp_path, monkeypatch):
    two_lots(engine, tmp_path)
    with TestClient(create_app(), client=("127.0.0.1", 50000)) as client:  # without a token: this machine only
        before = scrape(client)
        assert before[("ftz_runs_total", (("outcome", "SUCCEEDED"),))] == 0
        assert ("ftz_last_successful_run_age_seconds", ()) not in before
        service.run(engine)
        monkeypatch.setattr(partitions, "reconcile", lambda _inputs: (_ for _ in ()).throw(RuntimeError("disk full")))
        with pytest.raises(RuntimeError):
            service.run(engine)
        after = scrape(client)
    assert after[("ftz_runs_total", (("outcome", "SUCCEEDED"),))] == 1
    assert after[("ftz_runs_total", (("outcome", "FAILED"),))] == 1
    assert after[("ftz_run_duration_seconds_count", (("outcome", "FAILED"),))] == 1
    assert after[("ftz_run_in_progress", ())] == 0
    open_ = {labels: v for (name, labels), v in after.items() if name == "ftz_discrepancies_open"}
    with Session(engine) as session:
        stored = Counter((d.kind, d.severity) for d in session.execute(select(Discrepancy)).scalars())
    assert open_ == {(("kind", k), ("severity", s)): n for (k, s), n in stored.items()} and sum(stored.values()) == 2
    assert 0 <= after[("ftz_last_successful_run_age_seconds", ())] < 60
    assert 0 <= after[("ftz_zone_last_successful_run_age_seconds", (("zone", "ZFX"),))] < 60


def test_metrics_ask_for_the_token_when_one_is_set(engine, monkeypatch):
    monkeypatch.setenv("FTZ_METRICS_TOKEN", "scrape-secret")
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert ("ftz_run_in_progress", ()) in scrape(client, Authorization="Bearer scrape-secret")
