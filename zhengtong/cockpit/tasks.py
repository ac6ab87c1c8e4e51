"""Background work of the cockpit: incremental materialization and alerts (every few minutes);
the open-data index and the monthly indicator values, published to the catalogue (daily)."""

from __future__ import annotations

import logging

from django_tasks import task

from zhengtong.cockpit.services import alerts, materialize, opendata_index, probes, publish

logger = logging.getLogger(__name__)


@task()
def materialize_task() -> dict:
    """Check the platform's availability, materialize what changed since the last run, then
    raise today's threshold alerts."""
    probes.probes_run()
    probes.request_counts_collect()
    done = materialize.materialize()
    created = alerts.alerts_scan()
    rows = sum(d.get("rows", 0) for d in done.values())
    logger.info("cockpit: %s indicators, %s rows, %s alerts", len(done), rows, created)
    return {"indicators": len(done), "rows": rows, "alerts": created}


@task()
def open_data_index_task() -> dict:
    rows = opendata_index.open_data_index_compute()
    outcome = opendata_index.open_data_index_publish(rows)
    figures = publish.indicators_publish()
    return {"units": len(rows), "published": outcome, "indicators": figures}
