"""How the registry plugs into the platform, installed once by ``RegistryConfig.ready()``: the
SLA clock of correction requests and the hourly expiry of e-licences."""

from __future__ import annotations

from zhengtong.core import sla
from zhengtong.core.tasks import register_periodic
from zhengtong.registry.models import CorrectionRequest
from zhengtong.registry.tasks import licences_expire_due_task


def install() -> None:
    sla.register(CorrectionRequest)
    register_periodic("registry.licences_expire_due", licences_expire_due_task, 3600)
