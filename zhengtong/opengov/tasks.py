"""Periodic work of the opengov module."""

from __future__ import annotations

import logging

from django_tasks import task

from zhengtong.opengov import services

logger = logging.getLogger(__name__)


@task()
def publicity_task() -> dict:
    """双公示: publish licensing decisions completed since the last run; withdraw the entries
    whose publicity period ended."""
    published = services.licensing_pull()
    withdrawn = services.publicity_withdraw_expired()
    logger.info("opengov publicity: %s published, %s withdrawn", published, withdrawn)
    return {"published": published, "withdrawn": withdrawn}


@task()
def open_data_task() -> dict:
    """Refresh the open datasets: the disclosure catalogue and the 双公示 entries."""
    return {"catalogue": services.catalogue_export(), "publicity": services.publicity_export()}
