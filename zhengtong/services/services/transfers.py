"""跨省通办 (收受分离, 国办发〔2020〕35号): a counter receives an application for an item of
another region whose 通办 scope covers it (identity and form checked, materials collected),
transfers it under a tracking number to the competent unit (the case is that unit's), and the
result goes back by post or to the receiving counter. Both counters see the transfer's state.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import ensure_authenticated, ensure_can
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.services.errors import ServicesError
from zhengtong.services.models import ServiceItem
from zhengtong.services.models_onestop import Delivery, Tongban, Transfer
from zhengtong.services.selectors_onestop import covers
from zhengtong.services.services.common import case_link, tell
from zhengtong.services.services.intake import intake_file
from zhengtong.services.workflows import FINAL_STATES

audit_actions.register({"services.item.tongban": gettext_lazy("Set an item's 通办 scope")})

POST_TRACKING = re.compile(r"^[A-Z0-9]{8,40}$")


@transaction.atomic
def item_set_tongban(*, actor: Any, item: ServiceItem, scope: str) -> ServiceItem:
    """State where an item may be received (通办范围; services.manage_catalogue at its unit)."""
    ensure_can(actor, "services.manage_catalogue", item.org_unit, item.department)
    if scope not in Tongban.values:
        raise ValidationError.for_field("tongban", _("choose one of the options"))
    before = item.tongban
    item.tongban = scope
    item.save(update_fields=["tongban"])  # a save: the item cache is dropped (post_save)
    audit.record(
        actor=actor,
        action="services.item.tongban",
        target=item,
        org_unit=item.org_unit,
        before={"tongban": before},
        after={"tongban": scope},
    )
    return item


def receiving_units(actor: Any) -> list[Any]:
    """The units where the actor holds services.accept (their counters)."""
    return account_selectors.user_scope_units(actor, "services.accept")


def new_tracking_number() -> str:
    return f"TB{timezone.localdate():%Y%m%d}{secrets.randbelow(10**8):08d}"


@transaction.atomic
def transfer_receive(
    *,
    actor: Any,
    counter_unit: Any,
    item: ServiceItem,
    delivery: str,
    postal_address: str = "",
    **intake: Any,
) -> Transfer:
    """A counter (services.accept at ``counter_unit``) receives an application for another
    region's item whose 通办 scope covers it: the intake as at any counter (identity, form,
    materials, the applicant's confirmation), then the case is filed at the competent unit and
    the transfer recorded with a tracking number. ``intake``: the arguments of ``intake_file``."""
    ensure_authenticated(actor)
    if counter_unit is None or not any(u.pk == counter_unit.pk for u in receiving_units(actor)):
        raise PermissionDenied(_("you do not staff a counter at this unit"))
    if not covers(item, counter_unit):
        raise ValidationError.for_field(
            "item", _("this item's 通办 scope does not let %(unit)s receive it") % {"unit": counter_unit.name}
        )
    errors: dict[str, list[str]] = {}
    if delivery not in Delivery.values:
        errors["delivery"] = [_("choose one of the options")]
    address = (postal_address or "").strip()
    if delivery == Delivery.POST and not address:
        errors["postal_address"] = [_("a postal address is needed for delivery by post")]
    if len(address) > 300:
        errors["postal_address"] = [_("at most %d characters") % 300]
    if errors:
        raise ValidationError(fields=errors)
    case = intake_file(actor=actor, counter_unit=counter_unit, item=item, **intake)
    transfer = Transfer(
        number=new_tracking_number(),
        case=case,
        receiving_unit=counter_unit,
        receiving_path=counter_unit.path,
        received_by=actor,
        competent_path=case.org_path,
        delivery=delivery,
        postal_address=address,
        state=Transfer.workflow.initial,
    )
    transfer.save()
    Transfer.workflow.start(
        transfer,
        actor=actor,
        after={
            "case": case.number,
            "from": counter_unit.code,
            "to": item.org_unit.code,
            "delivery": delivery,
        },
    )
    tell(
        case.applicant,
        "services.transfer",
        _("Application %(number)s transferred to %(unit)s, tracking number %(tracking)s")
        % {"number": case.number, "unit": item.org_unit.name, "tracking": transfer.number},
        link=case_link(case),
        applicant=True,
    )
    return transfer


def _ended(transfer: Transfer) -> None:
    if transfer.case.state not in FINAL_STATES:
        raise Conflict(
            _("the case has not ended: there is no result to deliver yet"), code=ServicesError.INVALID_STATE
        )


@transaction.atomic
def transfer_post_result(
    *, actor: Any, transfer: Transfer, post_tracking: str, expected_version: int | None = None
) -> Transfer:
    """The competent unit's counter posts the result (delivery by post) with its postal tracking number."""
    tracking = (post_tracking or "").strip().upper()
    if transfer.delivery != Delivery.POST:
        raise Conflict(
            _("the applicant collects the result at the receiving counter"), code=ServicesError.INVALID_STATE
        )
    if not POST_TRACKING.match(tracking):
        raise ValidationError.for_field("post_tracking", _("8 to 40 letters or digits"))
    if not Transfer.workflow.may(transfer, actor, Transfer.workflow.transition("post_result")):
        raise PermissionDenied(_("only the competent unit's counter sends the result"))
    _ended(transfer)
    Transfer.workflow.apply(
        transfer,
        "post_result",
        actor=actor,
        data={"post_tracking": tracking},
        changes={"post_tracking": tracking},
        expected_version=expected_version,
    )
    tell(
        transfer.case.applicant,
        "services.transfer.posted",
        _("The result of %(number)s was posted, postal tracking number %(tracking)s")
        % {"number": transfer.case.number, "tracking": tracking},
        link=case_link(transfer.case),
        applicant=True,
    )
    return transfer


@transaction.atomic
def transfer_send_to_counter(
    *, actor: Any, transfer: Transfer, expected_version: int | None = None
) -> Transfer:
    """The competent unit sends the result to the receiving counter (delivery at the counter)."""
    if transfer.delivery != Delivery.COUNTER:
        raise Conflict(_("the result goes by post"), code=ServicesError.INVALID_STATE)
    if not Transfer.workflow.may(transfer, actor, Transfer.workflow.transition("send_to_counter")):
        raise PermissionDenied(_("only the competent unit's counter sends the result"))
    _ended(transfer)
    Transfer.workflow.apply(transfer, "send_to_counter", actor=actor, expected_version=expected_version)
    tell(
        transfer.case.applicant,
        "services.transfer.at_counter",
        _("The result of %(number)s is ready at %(unit)s")
        % {"number": transfer.case.number, "unit": transfer.receiving_unit.name},
        link=case_link(transfer.case),
        applicant=True,
    )
    return transfer


@transaction.atomic
def transfer_hand_over(
    *, actor: Any, transfer: Transfer, note: str = "", expected_version: int | None = None
) -> Transfer:
    """The receiving counter hands the result to the applicant (identity checked again)."""
    Transfer.workflow.apply(transfer, "hand_over", actor=actor, note=note, expected_version=expected_version)
    return transfer


TRANSFER_ACTIONS = {
    "post_result": transfer_post_result,
    "send_to_counter": transfer_send_to_counter,
    "hand_over": transfer_hand_over,
}
