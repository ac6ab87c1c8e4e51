"""免申即享 and 政策找人: benefits granted without an application.

A ``Benefit`` has an eligibility rule (CertLogic) over one registry: persons (``person.birth_date``,
``person.sex``, ``person.region``) or legal entities (``entity.established_on``,
``entity.entity_type``, ``entity.region``, ``entity.registered_capital``), with the clock in
``external.validationClock`` / ``external.today``. ``eligibility_scan`` evaluates it over the whole
registry at once with the codes module's vectorised evaluator (``codes.compile``, the same outcome
as ``codes.certlogic`` row by row; the interpreter when a rule cannot be vectorised), records
one proposal (``Entitlement``) per newly entitled person or entity and tells their accounts.
The citizen (or the entity's agent) confirms: the rule is checked again on today's data and a case
of the benefit's item is filed and decided at once without a person (``autodecide.decide``), with
the benefit's rule version on the timeline. Declining ends the proposal; neither is proposed again.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.codes import certlogic
from zhengtong.codes.compile import Column, CompileError, compile_rules
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.notify.services import notify_many
from zhengtong.registry import selectors as registry_selectors
from zhengtong.services import eforms
from zhengtong.services.models import Benefit, Entitlement, ServiceItem
from zhengtong.services.services import autodecide
from zhengtong.services.services.cases import case_submit

audit_actions.register(
    {
        "services.benefit.publish": gettext_lazy("Publish a benefit granted without application (免申即享)"),
        "services.benefit.scan": gettext_lazy("Eligibility scan of a benefit"),
        "services.entitlement.confirm": gettext_lazy("Confirm a proposed benefit"),
        "services.entitlement.decline": gettext_lazy("Decline a proposed benefit"),
    }
)

PERSON_PATHS = ("person.birth_date", "person.sex", "person.region")
ENTITY_PATHS = ("entity.established_on", "entity.entity_type", "entity.region", "entity.registered_capital")
_DAY_MS = 86_400_000
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
BATCH = 5000


def _clean_rule(rule: Any, holder_kind: str) -> dict:
    if not isinstance(rule, dict) or not isinstance(rule.get("explain"), str) or not rule["explain"].strip():
        raise ValidationError.for_field("rule.explain", _("say in words who is entitled"))
    problems = certlogic.validate(rule.get("logic")) if "logic" in rule else ["missing"]
    if problems:
        raise ValidationError.for_field(
            "rule.logic", _("is not a valid CertLogic expression: %s") % problems[0]
        )
    allowed = (PERSON_PATHS if holder_kind == "person" else ENTITY_PATHS) + (
        "external.validationClock",
        "external.today",
    )
    unknown = sorted(autodecide.rule_inputs(rule["logic"]) - set(allowed))
    if unknown:
        raise ValidationError.for_field(
            "rule.logic", _("reads data the registry scan does not hold: %s") % ", ".join(unknown)
        )
    return {
        "logic": rule["logic"],
        "explain": rule["explain"].strip(),
        "explain_en": rule.get("explain_en", ""),
    }


@transaction.atomic
def benefit_publish(
    *, actor: Any, code: str, name: str, item: ServiceItem, holder_kind: str, rule: dict, name_en: str = ""
) -> Benefit:
    """Create a benefit or publish a new version of its rule (services.manage_catalogue at the
    item's department). Proposals already made keep the rule version they were made under."""
    ensure_can(actor, "services.manage_catalogue", item.org_unit, item.department)
    if holder_kind not in ("person", "entity"):
        raise ValidationError.for_field("holder_kind", _("must be person or entity"))
    rule = _clean_rule(rule, holder_kind)
    benefit = Benefit.objects.select_for_update().filter(code=code).first()
    if benefit is None:
        benefit = Benefit.objects.create(
            code=code, name=name, name_en=name_en, item=item, holder_kind=holder_kind, rule=rule, number=1
        )
    elif (benefit.rule, benefit.name, benefit.name_en, benefit.item_id) == (rule, name, name_en, item.pk):
        return benefit
    else:
        if benefit.rule != rule:
            benefit.number += 1
        benefit.name, benefit.name_en, benefit.item, benefit.rule = name, name_en, item, rule
        benefit.holder_kind = holder_kind
        benefit.save()
    audit.record(
        actor=actor,
        action="services.benefit.publish",
        target=benefit,
        org_unit=item.org_unit,
        after={"code": code, "rule_version": benefit.number},
    )
    return benefit


# --- the scan ---------------------------------------------------------------------------------


def _categorical(values: list[str]) -> Column:
    categories, codes = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
    return Column("str", codes.astype(np.int32), None, [str(c) for c in categories])


def _date_column(days: list[int | None]) -> Column:
    arr = np.array([d if d is not None else 0 for d in days], dtype=np.int64) * _DAY_MS
    null = np.array([d is None for d in days], dtype=bool)
    return Column("datestr", arr, null if null.any() else None)


def _constants(now: dt.datetime) -> dict[str, Any]:
    return {
        "external.validationClock": now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "external.today": timezone.localdate(now).isoformat(),
    }


def _ordinal(d: dt.date | None) -> int | None:
    return d.toordinal() - _EPOCH_ORDINAL if d is not None else None


def _load(benefit: Benefit, org_path: str) -> tuple[np.ndarray, dict[str, Column]]:
    """Row ids and the columns the rules read, over the benefit's registry."""
    if connection.vendor == "postgresql":
        return _load_copy(benefit, org_path)
    if benefit.holder_kind == "person":
        ids, days, sex, region = [], [], [], []
        for pk, birth, s, resident_id in registry_selectors.person_scan_rows(org_path=org_path):
            ids.append(pk)
            days.append(_ordinal(birth))
            sex.append(s)
            region.append(resident_id[:6])
        columns = {
            "person.birth_date": _date_column(days),
            "person.sex": _categorical(sex),
            "person.region": _categorical(region),
        }
        return np.array(ids, dtype=np.int64), columns
    ids, days, kinds, regions, capital = [], [], [], [], []
    for pk, est, kind, region, cap, _rep in registry_selectors.entity_scan_rows(org_path=org_path):
        ids.append(pk)
        days.append(_ordinal(est))
        kinds.append(kind or "")
        regions.append((region or "")[:6])
        capital.append(cap)
    cap_null = np.array([c is None for c in capital], dtype=bool)
    columns = {
        "entity.established_on": _date_column(days),
        "entity.entity_type": _categorical(kinds),
        "entity.region": _categorical(regions),
        "entity.registered_capital": Column(
            "int", np.array([c or 0 for c in capital], dtype=np.int64), cap_null if cap_null.any() else None
        ),
    }
    return np.array(ids, dtype=np.int64), columns


# The registry's scan query wrapped so PostgreSQL hands over only what the rules read, as CSV
# through COPY (dates as days since 1970, regions cut to six digits), parsed into columns by
# Arrow's CSV reader: no Python object per row.
_COPY_SELECT = {
    "person": (
        "SELECT s.id, s.birth_date - DATE '1970-01-01', coalesce(s.sex, ''), left(s.resident_id, 6) FROM ({}) s",
        ("id", "birth_date", "sex", "region"),
    ),
    "entity": (
        "SELECT s.id, s.established_on - DATE '1970-01-01', coalesce(s.entity_type, ''),"
        " coalesce(left(s.region_code, 6), ''),"
        " s.registered_capital_fen FROM ({}) s",
        ("id", "established_on", "entity_type", "region", "registered_capital"),
    ),
}


def _arrow_str(array) -> Column:
    encoded = array.combine_chunks().dictionary_encode()
    categories = [str(c) for c in encoded.dictionary.to_pylist()] or [""]
    return Column("str", encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32), None, categories)


def _arrow_int(array, scale: int = 1) -> tuple[np.ndarray, np.ndarray | None]:
    null = array.is_null().to_numpy(zero_copy_only=False).astype(bool)
    values = array.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64) * scale
    return values, (null if null.any() else None)


def _load_copy(benefit: Benefit, org_path: str) -> tuple[np.ndarray, dict[str, Column]]:
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    if benefit.holder_kind == "person":
        query = registry_selectors.person_scan_query(org_path=org_path)
    else:
        query = registry_selectors.entity_scan_query(org_path=org_path)
    select, names = _COPY_SELECT[benefit.holder_kind]
    sql, params = query.query.sql_with_params()
    statement = connection.ops.compose_sql(select.format(sql), params)
    chunks: list[bytes] = []
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)") as copy,
    ):
        chunks.extend(bytes(chunk) for chunk in copy)
    if not chunks:
        empty = np.zeros(0, dtype=np.int64)
        cols = {
            f"{benefit.holder_kind}.{n}": Column("str", empty.astype(np.int32), None, [""])
            if n in ("sex", "region", "entity_type")
            else Column("int" if n == "registered_capital" else "datestr", empty)
            for n in names[1:]
        }
        return empty, cols
    types = {n: pa.int64() for n in names} | {n: pa.string() for n in ("sex", "region", "entity_type")}
    table = pa_csv.read_csv(
        pa.py_buffer(b"".join(chunks)),
        read_options=pa_csv.ReadOptions(column_names=list(names)),
        convert_options=pa_csv.ConvertOptions(
            column_types={n: types[n] for n in names},
            strings_can_be_null=False,
        ),
    )
    ids = table.column("id").to_numpy().astype(np.int64)
    if benefit.holder_kind == "person":
        days, null = _arrow_int(table.column("birth_date"), _DAY_MS)
        columns = {
            "person.birth_date": Column("datestr", days, null),
            "person.sex": _arrow_str(table.column("sex")),
            "person.region": _arrow_str(table.column("region")),
        }
        return ids, columns
    days, null = _arrow_int(table.column("established_on"), _DAY_MS)
    capital, cap_null = _arrow_int(table.column("registered_capital"))
    columns = {
        "entity.established_on": Column("datestr", days, null),
        "entity.entity_type": _arrow_str(table.column("entity_type")),
        "entity.region": _arrow_str(table.column("region")),
        "entity.registered_capital": Column("int", capital, cap_null),
    }
    return ids, columns


def _row_context(columns: dict[str, Column], i: int, constants: dict) -> dict:
    """One row as the interpreter's data (the fallback for rules the compiler cannot vectorise)."""
    ctx: dict[str, Any] = {"external": {k.split(".", 1)[1]: v for k, v in constants.items()}}
    for path, col in columns.items():
        head, name = path.split(".", 1)
        null = col.null is not None and col.null[i]
        if null:
            value = None
        elif col.kind == "datestr":
            value = dt.date.fromordinal(int(col.values[i]) // _DAY_MS + _EPOCH_ORDINAL).isoformat()
        elif col.kind == "str":
            value = col.categories[col.values[i]]
        else:
            value = int(col.values[i])
        ctx.setdefault(head, {})[name] = value
    return ctx


def eligible_mask(benefit: Benefit, columns: dict[str, Column], n: int, now: dt.datetime) -> np.ndarray:
    constants = _constants(now)
    try:
        (compiled,) = compile_rules([{"id": benefit.code, "colour": "red", "logic": benefit.rule["logic"]}])
        return ~compiled.failed(columns, constants, n)
    except CompileError:
        return np.array(
            [
                certlogic.evaluate_rule(benefit.rule["logic"], _row_context(columns, i, constants))[0]
                for i in range(n)
            ],
            dtype=bool,
        )


def _write_proposals(benefit: Benefit, field: str, new_ids: np.ndarray, now: dt.datetime) -> None:
    """One ``Entitlement`` per id, set-based: on PostgreSQL the ids go in by COPY to a temporary
    table and one INSERT ... SELECT writes the proposals (a concurrent scan's rows are skipped by
    the unique constraint); elsewhere bulk inserts of ``BATCH``."""
    if not len(new_ids):
        return
    if connection.vendor != "postgresql":
        rows = [
            Entitlement(benefit=benefit, rule_number=benefit.number, proposed_at=now, **{field: int(pk)})
            for pk in new_ids
        ]
        for start in range(0, len(rows), BATCH):
            Entitlement.objects.bulk_create(rows[start : start + BATCH], ignore_conflicts=True)
        return
    table = Entitlement._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE services_scan_ids (id bigint) ON COMMIT DROP")
        with cursor.copy("COPY services_scan_ids (id) FROM STDIN") as copy:
            copy.write("\n".join(map(str, new_ids.tolist())) + "\n")
        cursor.execute(
            f"INSERT INTO {table} (benefit_id, {field}, state, rule_number, proposed_at)"  # noqa: S608 (names from the model)
            " SELECT %s, id, %s, %s, %s FROM services_scan_ids ON CONFLICT DO NOTHING",
            [benefit.pk, Entitlement.State.PROPOSED, benefit.number, now],
        )
        # Dropped now, not only at commit: a caller's transaction may run several scans (the demo's seed).
        cursor.execute("DROP TABLE services_scan_ids")


def _tell_proposed(benefit: Benefit, users: list[Any]) -> int:
    if not users:
        return 0
    return notify_many(
        recipients=users,
        event="services.benefit.proposed",
        title=_("You may be entitled to: %s") % benefit.name,
        body=benefit.rule["explain"] + " " + _("Confirm it on your benefits page; no application is needed."),
        link="/services/benefits/",
        channels=("inbox", *settings.SERVICES_CASE_CHANNELS),
    )


def eligibility_scan(
    *, benefit: Benefit, actor: Any = None, org_path: str = "", now: dt.datetime | None = None
) -> dict:
    """Find everyone the benefit's rule entitles (政策找人) and propose it to the new ones: one
    ``Entitlement`` each, their accounts told (inbox and ``SERVICES_CASE_CHANNELS``). Run by the
    daily task (no actor, via services) or by a supervisor of the item's department. Returns the
    counts and the seconds each phase took."""
    if actor is not None:
        ensure_can(actor, "services.manage_catalogue", benefit.item.org_unit, benefit.item.department)
    if not benefit.is_active:
        raise Conflict(_("the benefit is not active"))
    now = now or timezone.now()
    t0 = time.perf_counter()
    ids, columns = _load(benefit, org_path)
    t1 = time.perf_counter()
    mask = eligible_mask(benefit, columns, len(ids), now)
    t2 = time.perf_counter()
    field = "person_id" if benefit.holder_kind == "person" else "entity_id"
    existing = np.fromiter(
        Entitlement.objects.filter(benefit=benefit).values_list(field, flat=True).iterator(chunk_size=50_000),
        dtype=np.int64,
    )
    fresh = mask & ~np.isin(ids, existing)
    new_ids = ids[fresh]
    with transaction.atomic():
        _write_proposals(benefit, field, new_ids, now)
        # Everyone proposed to in this scan (``proposed_at`` is the scan's instant), found in the
        # database: their accounts, by the resident ID of the person or legal representative.
        proposed = Entitlement.objects.filter(benefit=benefit, proposed_at=now).values(field)
        told = 0
        if len(new_ids):
            keys = registry_selectors.resident_ids_of(
                **(
                    {"persons": proposed}
                    if benefit.holder_kind == "person"
                    else {"entities_represented": proposed}
                )
            )
            users = account_selectors.users_with_resident_ids(keys).order_by("pk").iterator(chunk_size=BATCH)
            batch: list[Any] = []
            for user in users:
                batch.append(user)
                if len(batch) == BATCH:
                    told += _tell_proposed(benefit, batch)
                    batch = []
            told += _tell_proposed(benefit, batch)
        Benefit.objects.filter(pk=benefit.pk).update(last_scan_at=now)
        counts = {
            "scanned": int(len(ids)),
            "eligible": int(mask.sum()),
            "proposed": int(len(new_ids)),
            "told": told,
        }
        audit.record(
            actor=actor,
            action="services.benefit.scan",
            target=benefit,
            org_unit=benefit.item.org_unit,
            after={**counts, "rule_version": benefit.number},
            via="services" if actor is None else "",
        )
    t3 = time.perf_counter()
    return {
        **counts,
        "load_s": round(t1 - t0, 3),
        "evaluate_s": round(t2 - t1, 3),
        "write_s": round(t3 - t2, 3),
    }


def scan_all() -> int:
    """The daily task: scan every active benefit (no actor)."""
    n = 0
    for benefit in Benefit.objects.filter(is_active=True).select_related(
        "item__org_unit", "item__department"
    ):
        eligibility_scan(benefit=benefit)
        n += 1
    return n


# --- the citizen's side -----------------------------------------------------------------------


def entitlements_of(actor: Any):
    """The proposals and grants for the actor: as a person, and for the entity they act for."""
    if not getattr(actor, "is_authenticated", False):
        return Entitlement.objects.none()
    holdings = eforms.holdings_for(actor)
    cond = Q(pk__in=[])
    if holdings.person is not None:
        cond |= Q(person=holdings.person)
    if holdings.entity is not None:
        cond |= Q(entity=holdings.entity)
    return Entitlement.objects.filter(cond).select_related("benefit", "benefit__item", "case")


def _mine(actor: Any, entitlement_id: Any) -> tuple[Entitlement, eforms.Holdings]:
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("sign in to see your benefits"))
    try:
        pk = int(entitlement_id)
    except (TypeError, ValueError):
        raise NotFound(_("no proposal %s for you") % str(entitlement_id)[:20]) from None
    holdings = eforms.holdings_for(actor)
    cond = Q(pk__in=[])
    if holdings.person is not None:
        cond |= Q(person=holdings.person)
    if holdings.entity is not None:
        cond |= Q(entity=holdings.entity)
    entitlement = (
        Entitlement.objects.select_for_update()
        .filter(cond, pk=pk)
        .select_related("benefit", "benefit__item")
        .first()
    )
    if entitlement is None:
        raise NotFound(_("no proposal %s for you") % pk)
    if entitlement.state != Entitlement.State.PROPOSED:
        raise Conflict(_("this proposal was already answered"))
    return entitlement, holdings


def _still_eligible(benefit: Benefit, holdings: eforms.Holdings) -> tuple[bool, dict]:
    ctx = autodecide.context_for(holdings=holdings)
    if benefit.holder_kind == "person":
        p = holdings.person
        ctx["person"] = {"birth_date": p.birth_date.isoformat(), "sex": p.sex, "region": p.resident_id[:6]}
    else:
        e = registry_selectors.legal_entity_by_uscc(holdings.entity.uscc)
        ctx["entity"] = {
            "established_on": e.established_on.isoformat() if e.established_on else None,
            "entity_type": e.entity_type,
            "region": (e.region_code or "")[:6],
            "registered_capital": e.registered_capital_fen,
        }
    passed, _error = certlogic.evaluate_rule(benefit.rule["logic"], ctx)
    return passed, ctx


@transaction.atomic
def entitlement_confirm(*, actor: Any, entitlement_id: Any) -> Entitlement:
    """The citizen confirms a proposal: the rule is checked again on today's registry data, a case
    of the benefit's item is filed for them and decided at once without a person (秒批), with the
    benefit's rule version on its timeline. Refused (nothing written) when no longer entitled."""
    entitlement, holdings = _mine(actor, entitlement_id)
    benefit = entitlement.benefit
    passed, _ctx = _still_eligible(benefit, holdings)
    if not passed:
        raise ValidationError.for_field(
            "entitlement", _("the registry data no longer meet the rule: %s") % benefit.rule["explain"]
        )
    case = case_submit(actor=actor, item=benefit.item, raw={})
    if case.state == "submitted":
        autodecide.decide(
            case=case,
            label=f"benefit:{benefit.code}:{benefit.number}",
            number=benefit.number,
            results=[
                {
                    "id": benefit.code,
                    "passed": True,
                    "explain": benefit.rule["explain"],
                    "explain_en": benefit.rule.get("explain_en", ""),
                }
            ],
        )
    entitlement.state = Entitlement.State.GRANTED
    entitlement.case = case
    entitlement.decided_at = timezone.now()
    entitlement.save(update_fields=["state", "case", "decided_at"])
    audit.record(
        actor=actor,
        action="services.entitlement.confirm",
        target=entitlement,
        after={"benefit": benefit.code, "rule_version": benefit.number, "case": case.number},
    )
    return entitlement


@transaction.atomic
def entitlement_decline(*, actor: Any, entitlement_id: Any) -> Entitlement:
    """The citizen declines a proposal; it is not proposed again."""
    entitlement, _holdings = _mine(actor, entitlement_id)
    entitlement.state = Entitlement.State.DECLINED
    entitlement.decided_at = timezone.now()
    entitlement.save(update_fields=["state", "decided_at"])
    audit.record(
        actor=actor,
        action="services.entitlement.decline",
        target=entitlement,
        after={"benefit": entitlement.benefit.code},
    )
    return entitlement
