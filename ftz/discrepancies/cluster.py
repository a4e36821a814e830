"""A full run's partitions reconciled on a Dask cluster: a local one of N processes, or the
cluster whose scheduler ``FTZ_DASK_SCHEDULER`` names. Workers read their partition from the
database themselves; only the findings come back, and the coordinator writes them."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pandas as pd
from distributed import Client, LocalCluster, as_completed
from sqlalchemy import Engine

from ftz.config import get_settings
from ftz.discrepancies.inputs import Context
from ftz.discrepancies.partitions import Partition, ledger_identity, on_worker

log = logging.getLogger("ftz.runs")


@contextmanager
def connect(url: str, *, workers: int) -> Iterator[Client]:
    """A client of ``FTZ_DASK_SCHEDULER``'s cluster, or of a local cluster of ``workers`` processes
    (one thread each: the engine is pandas, which holds the interpreter lock)."""
    address = get_settings().dask_scheduler
    if address:
        with Client(address) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=max(workers, 1), threads_per_worker=1, processes=True, dashboard_address=None,
            env={"FTZ_DATABASE_URL": url},
        ) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        yield client


def each(engine: Engine, ctx: Context, parts: list[Partition], *, workers: int) -> Iterator[tuple[pd.DataFrame, int]]:
    """Each partition's findings and lot count as its worker finishes (largest partitions sent
    first); pending partitions are cancelled if the caller stops early."""
    url = engine.url.render_as_string(hide_password=False)
    ctx = replace(ctx, ledger=ledger_identity(engine, ctx))  # each worker checks its database holds it
    with connect(url, workers=workers) as client:
        log.info("partitions sent to the Dask cluster at %s (%d workers)", client.scheduler.address,
                 len(client.scheduler_info()["workers"]))  # fmt: skip
        shared = client.scatter(ctx, broadcast=True)  # the reference lists travel once per worker
        futures = [client.submit(on_worker, shared, p.operators, pure=False) for p in parts]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            client.cancel(futures)
