"""Platform dataset publication: the trusted internal entry point through which other modules
(grid, codes) publish the statistics they produce as catalogue resources."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path
from typing import Any

from django.conf import settings

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import root_unit
from zhengtong.catalog.models import DataResource
from zhengtong.catalog.services.loads import _load_enqueue
from zhengtong.catalog.services.resources import _resource_insert

logger = logging.getLogger(__name__)


def platform_dataset_publish(
    *,
    name: str,
    fields: list[str],
    rows,
    title: str,
    title_en: str,
    description: str,
    domain: str,
    keywords: list[str],
    update_frequency: str = "daily",
    actor: Any = None,
    via: str = "platform",
    openness: str = "",
    mode: str = "replace",
) -> str:
    """Load a dataset the platform produces itself (statistics, indices) into the catalogue as
    resource ``name`` of the root unit's big-data bureau: created as a draft the first time, for a
    data officer to review and publish; each call loads the CSV as a new version. ``rows`` are
    tuples in the order of ``fields``. Returns what happened; never raises (the producer must not
    fail with it).

    A trusted internal entry point: no permission check, and no superuser. It checks what it must
    (a valid resource, and that an existing resource ``name`` is one of the platform's own, not a
    department's), and the audit trail and timelines name the real actor (``actor``; None for
    scheduled work, shown as "system") and ``via``, the calling module (``"grid"``, ``"codes"``).

    ``openness`` (optional) is the new resource's openness, for data that must not be open by
    default (supervision's platform reports are ``closed``: shared, never opened; the data
    officer still confirms the field grades). ``mode="append"`` adds the rows as a new version
    on top of the current one (replace when there is none yet).
    """
    department = _platform_department()
    if department is None:
        return "no department at the root unit"
    try:
        resource = DataResource.objects.filter(name=name).first()
        if resource is None:
            resource = _resource_insert(
                actor=actor,
                via=via,
                department=department,
                name=name,
                title=title,
                title_en=title_en,
                description=description,
                domain=domain,
                update_frequency=update_frequency,
                licence="CC-BY-4.0",
                keywords=keywords,
                **({"openness": openness} if openness else {}),
            )
        elif resource.department_id != department.pk:
            return f"resource {name} belongs to another department"
        path = Path(settings.VAR_DIR) / "generated" / f"{name}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(fields)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
        path.write_text(buf.getvalue(), encoding="utf-8")
        _load_enqueue(
            actor=actor,
            via=via,
            resource=resource,
            uploaded_file=str(path),
            mode=mode if mode == "append" and resource.current_version_id else "replace",
            file_name=f"{name}.csv",
        )
    except Exception as exc:  # noqa: BLE001 - reported to the caller, never raised
        logger.warning("publishing %s to the catalogue failed: %s", name, exc)
        return f"catalogue load failed: {exc}"
    return "loaded"


def _platform_department():
    """The root unit's big-data bureau (code ``dsj``), else its first department, else None."""
    departments = account_selectors.departments_in(root_unit(), subtree=False)
    return departments.filter(code="dsj").first() or departments.order_by("id").first()
