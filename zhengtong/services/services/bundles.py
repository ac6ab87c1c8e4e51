"""Bundles (一件事一次办): one combined application fanned out to a case per part."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from zhengtong.accounts.permissions import ensure_authenticated
from zhengtong.audit import services as audit
from zhengtong.core.errors import ValidationError
from zhengtong.payments.services import bill_create_for_case
from zhengtong.services import eforms
from zhengtong.services.models import Bundle, BundleApplication, Draft, ServiceItem
from zhengtong.services.services.cases import case_submit, prepare_application
from zhengtong.services.services.common import new_number


def bundle_parts(bundle: Bundle) -> list[ServiceItem]:
    return list(
        bundle.items.filter(is_published=True).select_related("current_version", "department", "org_unit")
    )


def bundle_schema(bundle: Bundle) -> tuple[dict, list[tuple[ServiceItem, dict]]]:
    """The combined form: shared fields (``x-shared`` or the same name in several parts) asked
    once, then each part's own fields."""
    parts = bundle_parts(bundle)
    seen: dict[str, int] = {}
    for item in parts:
        for name in item.current_version.form_schema.get("properties") or {}:
            seen[name] = seen.get(name, 0) + 1
    shared = {"type": "object", "properties": {}, "required": []}
    own: list[tuple[ServiceItem, dict]] = []
    for item in parts:
        schema = item.current_version.form_schema
        props = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        mine = {"type": "object", "properties": {}, "required": []}
        for name, prop in props.items():
            if seen[name] > 1 or prop.get("x-shared"):
                if name not in shared["properties"]:
                    shared["properties"][name] = prop
                if name in required and name not in shared["required"]:
                    shared["required"].append(name)
            else:
                mine["properties"][name] = prop
                if name in required:
                    mine["required"].append(name)
        own.append((item, mine))
    return shared, own


@transaction.atomic
def bundle_submit(
    *, actor: Any, bundle: Bundle, raw: dict[str, Any], files: dict[str, Any] | None = None
) -> BundleApplication:
    """Fan a combined application out to one case per part; one bill for all the fees
    (reference "bundle:<id>"). Shared fields are typed once; every part is validated first."""
    ensure_authenticated(actor)
    shared, own = bundle_schema(bundle)
    holdings = eforms.holdings_for(actor)
    prepared = []
    errors: dict[str, list[str]] = {}
    shared_values = {k: raw[k] for k in shared["properties"] if k in raw}
    for item, _mine in own:
        prefix = f"{item.code}."
        part_own = {k[len(prefix) :]: v for k, v in raw.items() if k.startswith(prefix)}
        # The part's own (prefixed) names must be its form's; the rest of the post (the token,
        # buttons, uploads) is not form data and is not checked.
        for key, messages in eforms.check_known(
            item.current_version.form_schema, part_own, prefix=prefix
        ).items():
            errors.setdefault(key, []).extend(messages)
        part_raw = {**shared_values, **part_own}
        part_files = {k: v for k, v in (files or {}).items()}
        try:
            result = prepare_application(
                actor=actor, version=item.current_version, raw=part_raw, files=part_files, holdings=holdings
            )
            prepared.append((item, result))
        except ValidationError as exc:
            for field_name, messages in exc.fields.items():
                key = field_name if field_name in shared["properties"] else prefix + field_name
                errors.setdefault(key, []).extend(m for m in messages if m not in errors.get(key, []))
    if errors:
        raise ValidationError(fields=errors)
    app = BundleApplication.objects.create(
        bundle=bundle,
        applicant=actor,
        number=new_number("YJS"),
        data={k: v for k, v in shared_values.items()},
        fee_fen=sum(item.current_version.fee_fen for item, _r in prepared),
    )
    for item, result in prepared:
        case_submit(actor=actor, item=item, raw={}, bundle_application=app, prepared=result)
    audit.record(
        actor=actor,
        action="services.bundle.submit",
        target=app,
        org_unit=bundle.org_unit,
        after={"bundle": bundle.code, "parts": [i.code for i, _r in prepared], "fee_fen": app.fee_fen},
    )
    Draft.objects.filter(applicant=actor, key=f"bundle:{bundle.code}").delete()
    if app.fee_fen:
        # One bill for all the parts, issued on the applicant's behalf (see case_submit).
        bill_create_for_case(
            payer=actor,
            via="services",
            reference=f"bundle:{app.pk}",
            org_unit=bundle.org_unit,
            items=[
                (item.name, item.current_version.fee_fen)
                for item, _r in prepared
                if item.current_version.fee_fen
            ],
            description=f"{bundle.name} {app.number}",
        )
    return app
