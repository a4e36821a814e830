"""GET /metrics: reconciliation figures in the Prometheus text format, read from the database."""

import hmac
import ipaddress
import time
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlmodel import Session

from ftz.config import get_settings
from ftz.database import get_engine
from ftz.discrepancies import health
from ftz.discrepancies.models import RunOutcome
from ftz.errors import NotFound, Unauthorized

router = APIRouter()
# Run durations: seconds to hours, a run's time limit being hours.
BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400)
FORWARDED = ("forwarded", "x-forwarded-for", "x-forwarded-proto", "x-real-ip")


class Collector:
    """Figures from the database at each scrape: every process (web, scheduler) reports the same."""

    def collect(self):
        with Session(get_engine()) as session:
            figures = health.figures(session)
        runs = CounterMetricFamily("ftz_runs", "Reconciliation runs, by outcome", labels=["outcome"])
        for outcome in RunOutcome:
            runs.add_metric([outcome.value], figures.runs.get(outcome.value, 0))
        yield runs
        durations = HistogramMetricFamily(
            "ftz_run_duration_seconds", "How long finished runs took, by outcome", labels=["outcome"]
        )
        for outcome in RunOutcome:
            taken = [seconds for o, seconds in figures.durations if o == outcome.value]
            if outcome != RunOutcome.RUNNING:
                durations.add_metric([outcome.value], _buckets(taken), sum(taken))
        yield durations
        findings = GaugeMetricFamily(
            "ftz_discrepancies_open", "Discrepancies not closed, by kind and severity", labels=["kind", "severity"]
        )
        for (kind, severity), count in sorted(figures.open_findings.items()):
            findings.add_metric([kind, severity], count)
        yield findings
        yield GaugeMetricFamily("ftz_run_in_progress", "1 while a reconciliation is running", value=figures.running)
        if figures.last_success is not None:
            at = figures.last_success.timestamp()
            yield GaugeMetricFamily(
                "ftz_last_successful_run_timestamp_seconds", "When the last successful run finished", value=at
            )
            yield GaugeMetricFamily(
                "ftz_last_successful_run_age_seconds", "Seconds since the last successful run", value=time.time() - at
            )
        zones = GaugeMetricFamily(
            "ftz_zone_last_successful_run_age_seconds",
            "Seconds since a zone was last reconciled successfully (a run of the zone, or of every zone)",
            labels=["zone"],
        )
        for zone, finished in figures.zone_last_success.items():
            if finished is not None:
                zones.add_metric([zone], time.time() - finished.timestamp())
        yield zones


def from_this_machine(request: Request) -> bool:
    """Whether the request comes from this machine itself, not through a proxy on it."""
    host = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
    # A proxy on this machine connects from the loopback too: what it forwards is not local.
    return loopback and not any(h in request.headers for h in FORWARDED)


def _buckets(values: list[float]) -> list[tuple[str, float]]:
    """Cumulative counts per upper bound, as Prometheus histograms have them."""
    counts = [(str(float(bound)), sum(1 for v in values if v <= bound)) for bound in BUCKETS]
    return [*counts, ("+Inf", len(values))]


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, authorization: Annotated[str | None, Header()] = None) -> Response:
    """The figures: behind ``Authorization: Bearer <FTZ_METRICS_TOKEN>`` when that is set;
    without it, to this machine only (every zone's name and counts are in them)."""
    token = get_settings().metrics_token
    if token and not hmac.compare_digest((authorization or "").encode(), f"Bearer {token}".encode()):
        raise Unauthorized("send Authorization: Bearer <FTZ_METRICS_TOKEN> to read /metrics")
    if not token and not from_this_machine(request):
        raise NotFound("not found")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Collector())
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
