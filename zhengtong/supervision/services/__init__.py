"""Writes of the supervision module, by use case (re-exported here)."""

from django.utils.translation import gettext_lazy

from zhengtong.audit import actions
from zhengtong.supervision.services.catalogue import item_create, officer_register
from zhengtong.supervision.services.inspections import (
    assigned_officer,
    inspection_photo_add,
    inspection_publish,
    inspection_record,
    photo_root,
    plan_publish_results,
    signature_from_data_url,
    signature_image,
    signature_root,
)
from zhengtong.supervision.services.penalties import (
    ACTIONS as PENALTY_ACTIONS,
)
from zhengtong.supervision.services.penalties import (
    hearing_window_ends,
    penalty_close,
    penalty_decide,
    penalty_dismiss,
    penalty_execute,
    penalty_file,
    penalty_hold_hearing,
    penalty_investigate,
    penalty_notify,
    penalty_publicity_remove,
    penalty_request_hearing,
    penalty_serve,
)
from zhengtong.supervision.services.plans import (
    department_key,
    may_plan,
    plan_close,
    plan_commit,
    plan_create,
    plan_departments,
    plan_dir,
    plan_draw,
    plan_from_alert,
    plan_from_credit,
    population_path,
    stratum_counts,
)
from zhengtong.supervision.services.platforms import (
    REPORT_TYPES,
    catalogue_name,
    platform_register,
    platform_report_submit,
    published_schemas,
    report_due,
)
from zhengtong.supervision.services.publicity import publicity_expire

actions.register(
    {
        "supervision.item.create": gettext_lazy("Add supervision item"),
        "supervision.officer.register": gettext_lazy("Register enforcement officer"),
        "supervision.plan.draw_refused": gettext_lazy("Random draw refused"),
        "supervision.photo.add": gettext_lazy("Add inspection photo"),
        "supervision.penalty.publicity_remove": gettext_lazy("Remove penalty decision from publicity"),
        "supervision.platform.register": gettext_lazy("Register reporting platform"),
        "supervision.platform.report": gettext_lazy("Accept platform data report"),
        "supervision.publicity.expire": gettext_lazy("Remove from publicity at the end of its period"),
    }
)

__all__ = [
    "REPORT_TYPES",
    "catalogue_name",
    "platform_register",
    "platform_report_submit",
    "published_schemas",
    "report_due",
    "PENALTY_ACTIONS",
    "assigned_officer",
    "department_key",
    "hearing_window_ends",
    "inspection_photo_add",
    "inspection_publish",
    "inspection_record",
    "item_create",
    "may_plan",
    "officer_register",
    "penalty_close",
    "penalty_decide",
    "penalty_dismiss",
    "penalty_execute",
    "penalty_file",
    "penalty_hold_hearing",
    "penalty_investigate",
    "penalty_notify",
    "penalty_publicity_remove",
    "penalty_request_hearing",
    "penalty_serve",
    "photo_root",
    "plan_close",
    "plan_commit",
    "plan_create",
    "plan_departments",
    "plan_dir",
    "plan_draw",
    "plan_publish_results",
    "population_path",
    "plan_from_alert",
    "plan_from_credit",
    "publicity_expire",
    "signature_from_data_url",
    "signature_image",
    "signature_root",
    "stratum_counts",
]
