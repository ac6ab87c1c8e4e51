"""The service catalogue: publishing a service item and the versions of its rules."""

from __future__ import annotations

from typing import Any

import jsonschema
from django.db import transaction
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.core.errors import ValidationError
from zhengtong.core.identifiers import IdentifierError, validate_uscc
from zhengtong.services.models import ServiceItem, ServiceItemVersion
from zhengtong.services.models_onestop import CommitmentText

VERSION_FIELDS = (
    "legal_basis",
    "conditions",
    "materials",
    "form_schema",
    "statutory_days",
    "promised_days",
    "fee_fen",
    "fee_basis",
    "consultation",
    "complaint",
    "guide",
    "review_steps",
    "produces",
    "place",
    "hours",
    "enquiry_phone",
    "handling_type",
    "delivery",
    "tongban_scope",
    "special_steps",
    "faq",
)


# GB/T 39554.1 事项类型代码 (the first two digits of the basic code), by the kinds of this catalogue
# and the other kinds of administrative power the national basic directory lists.
ITEM_TYPE_CODES = {
    "01": "行政许可",
    "02": "行政处罚",
    "03": "行政强制",
    "04": "行政征收",
    "05": "行政给付",
    "06": "行政检查",
    "07": "行政确认",
    "08": "行政奖励",
    "09": "行政裁决",
    "10": "其他行政权力",
    "20": "公共服务",
}
KIND_TYPE_CODES = {"licensing": "01", "benefit": "05", "confirmation": "07", "other": "10", "public": "20"}


def check_standard_code(code: str, kind: str) -> str:
    """A GB/T 39554.1 实施编码: the implementing body's 18-character USCC (GB 32100, check
    character verified) followed by the 12-digit basic code: 事项类型代码 (2, matching the item's
    kind), 主项 (5), 子项 (3) and 业务办理项 (2). Returns the code upper-cased; raises a field
    error naming the rule. Empty is allowed (an item not yet coded)."""
    code = (code or "").strip().upper()
    if not code:
        return ""
    if len(code) != 30:
        raise ValidationError.for_field(
            "standard_code", _("must be 30 characters: the body's USCC (18) and the basic code (12)")
        )
    try:
        validate_uscc(code[:18])
    except IdentifierError as exc:
        raise ValidationError.for_field("standard_code", _("the first 18 characters: %s") % exc) from None
    basic = code[18:]
    if not basic.isdigit():
        raise ValidationError.for_field(
            "standard_code", _("the basic code (characters 19–30) must be digits")
        )
    if basic[:2] not in ITEM_TYPE_CODES:
        raise ValidationError.for_field("standard_code", _("unknown item type code “%s”") % basic[:2])
    if KIND_TYPE_CODES.get(kind) != basic[:2]:
        raise ValidationError.for_field(
            "standard_code", _("the item type code %(code)s does not match the kind") % {"code": basic[:2]}
        )
    return code


# A form schema extension: completing a case of this item enters a newborn in the population
# registry (出生户口登记). It maps the person's fields to the form's fields, e.g.
# {"name": "baby_name", "sex": "baby_sex", "birth_date": "baby_birth_date"}.
NEWBORN_KEY = "x-registers-person"
NEWBORN_FIELDS = ("name", "sex", "birth_date")


def _clean_version(rules: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    statutory, promised = rules.get("statutory_days"), rules.get("promised_days")
    if not isinstance(statutory, int) or statutory < 0:
        errors["statutory_days"] = _("must be a whole number of working days")
    if not isinstance(promised, int) or promised < 0:
        errors["promised_days"] = _("must be a whole number of working days")
    elif isinstance(statutory, int) and promised > statutory:
        errors["promised_days"] = _("must not exceed the statutory limit")
    fee = rules.get("fee_fen", 0)
    if not isinstance(fee, int) or fee < 0:
        errors["fee_fen"] = _("must be a whole number of fen, 0 or more")
    schema = rules.get("form_schema") or {"type": "object", "properties": {}}
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except Exception as exc:  # noqa: BLE001 - any schema error is the publisher's input error
        errors["form_schema"] = _("is not a valid JSON Schema: %s") % str(exc).splitlines()[0]
    for i, m in enumerate(rules.get("materials") or []):
        if not isinstance(m, dict) or not m.get("code") or not m.get("name"):
            errors[f"materials.{i}"] = _("needs a code and a name")
            continue
        src = m.get("source", "upload")
        if src not in ("upload", "population", "legal_entity") and not src.startswith(
            ("licence:", "service:")
        ):
            errors[f"materials.{i}.source"] = _("unknown source “%s”") % src
        if "tolerable" in m and (
            not isinstance(m["tolerable"], bool) or (m["tolerable"] and src != "upload")
        ):
            errors[f"materials.{i}.tolerable"] = _(
                "must be true or false, and true only for a material to upload"
            )
        if "commitment" in m and (
            not isinstance(m["commitment"], str)
            or src != "upload"
            or not CommitmentText.objects.filter(code=m["commitment"]).exists()
        ):
            errors[f"materials.{i}.commitment"] = _(
                "must name a published commitment text (承诺书), and only for a material to upload"
            )
    newborn = schema.get(NEWBORN_KEY) if isinstance(schema, dict) else None
    if newborn is not None:
        props = schema.get("properties") or {}
        if not isinstance(newborn, dict) or set(newborn) != set(NEWBORN_FIELDS):
            errors[f"form_schema.{NEWBORN_KEY}"] = _("must map exactly %s to form fields") % ", ".join(
                NEWBORN_FIELDS
            )
        else:
            for target, name in newborn.items():
                if name not in props:
                    errors[f"form_schema.{NEWBORN_KEY}.{target}"] = (
                        _("“%s” is not a field of this form") % name
                    )
    for i, step in enumerate(rules.get("review_steps") or []):
        if step.get("mode", "single") not in ("single", "all", "any", "quorum"):
            errors[f"review_steps.{i}.mode"] = _("must be single, all, any or quorum")
        if step.get("mode") in ("all", "any", "quorum") and int(step.get("signers", 0)) < 1:
            errors[f"review_steps.{i}.signers"] = _("a joint sign-off needs at least one signer")
    if rules.get("handling_type", "") not in ("", "immediate", "promised"):
        errors["handling_type"] = _("must be immediate (即办件) or promised (承诺件)")
    if rules.get("tongban_scope", "") not in ("", "county", "city", "province", "national"):
        errors["tongban_scope"] = _("must be county, city, province or national")
    for key in ("delivery", "special_steps", "faq"):
        if not isinstance(rules.get(key, []), list):
            errors[key] = _("must be a list")
    for i, qa in enumerate(rules.get("faq") or []):
        if not isinstance(qa, dict) or not qa.get("q") or not qa.get("a"):
            errors[f"faq.{i}"] = _("needs a question (q) and an answer (a)")
    for i, m in enumerate(rules.get("materials") or []):
        if (
            isinstance(m, dict)
            and "copies" in m
            and (
                isinstance(m["copies"], bool)
                or not isinstance(m["copies"], int)
                or not 0 <= m["copies"] <= 20
            )
        ):
            errors[f"materials.{i}.copies"] = _("must be a whole number from 0 to 20")
    if errors:
        raise ValidationError(fields=errors)
    return {**rules, "form_schema": schema}


@transaction.atomic
def item_publish(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    department,
    name_en: str = "",
    life_events: list[str] | None = None,
    visits: int = 0,
    online: bool = True,
    mobile: bool = True,
    standard_code: str = "",
    **rules: Any,
) -> ServiceItem:
    """Create a service item or publish a new version of its rules (cases keep their version)."""
    ensure_can(actor, "services.manage_catalogue", department.org_unit, department)
    if visits not in (0, 1):
        raise ValidationError.for_field("visits", _("must be 0 or 1 (最多跑一次)"))
    standard_code = check_standard_code(standard_code, kind)
    rules = _clean_version(rules)
    item, _created = ServiceItem.objects.select_for_update().get_or_create(
        code=code,
        defaults={"name": name, "kind": kind, "department": department, "org_unit": department.org_unit},
    )
    item.name, item.name_en, item.kind = name, name_en, kind
    item.department, item.org_unit = department, department.org_unit
    item.life_events, item.visits, item.online, item.mobile = life_events or [], visits, online, mobile
    item.standard_code = standard_code
    current = item.current_version
    if current is not None and all(
        getattr(current, f) == rules.get(f, getattr(current, f)) for f in VERSION_FIELDS
    ):
        item.is_published = True
        item.save()
        return item  # nothing changed: no new version (keeps the demo idempotent)
    number = (item.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = ServiceItemVersion.objects.create(
        item=item, number=number, **{f: rules[f] for f in VERSION_FIELDS if f in rules}
    )
    item.current_version = version
    item.is_published = True
    item.save()
    audit.record(
        actor=actor,
        action="services.item.publish",
        target=item,
        org_unit=item.org_unit,
        after={"code": code, "version": number},
    )
    return item
