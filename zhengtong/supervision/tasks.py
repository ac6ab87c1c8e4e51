"""Periodic work of the supervision module."""

from __future__ import annotations

import logging

from django_tasks import task

from zhengtong.supervision import services

logger = logging.getLogger(__name__)


@task()
def publicity_expire_task() -> dict:
    """公示期满: take results and decisions whose publicity period ended off the public pages."""
    done = services.publicity_expire()
    logger.info("supervision publicity expired: %s", done)
    return done
