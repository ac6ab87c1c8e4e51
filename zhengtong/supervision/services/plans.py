"""Random inspection plans (双随机一公开): create, commit (population hash and seed commitment
published), draw (targets and inspectors, seed published), close."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Collection
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import can, ensure_can
from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, ValidationError
from zhengtong.core.identifiers import validate_uscc
from zhengtong.credit import selectors as credit_selectors
from zhengtong.registry import selectors as registry_selectors
from zhengtong.supervision import draw
from zhengtong.supervision.errors import SupervisionError
from zhengtong.supervision.models import (
    Inspection,
    InspectionPlan,
    Officer,
    SupervisionAlert,
    SupervisionItem,
)
from zhengtong.supervision.workflows import PLAN_FLOW

STRATA = ("A", "B", "C", "D", "U")
FILTER_KEYS = {"entity_type", "region_prefix", "licence_type", "grades", "entities"}
MAX_TARGETED = 1000  # credit codes a targeted plan may list


def plan_dir(plan: InspectionPlan) -> Path:
    return Path(settings.VAR_DIR) / "supervision" / "plans" / plan.number


def population_path(plan: InspectionPlan) -> Path:
    return plan_dir(plan) / "population.csv"


def department_key(department: Any) -> str:
    """How a department is named in published draws: ``<org unit code>-<department code>``."""
    return f"{department.org_unit.code}-{department.code}"


def _clean_filters(filters: Any) -> dict:
    if not isinstance(filters, dict) or set(filters) - FILTER_KEYS:
        raise ValidationError.for_field("filters", _("allowed keys: %s") % ", ".join(sorted(FILTER_KEYS)))
    out: dict[str, Any] = {}
    for key in ("entity_type", "region_prefix", "licence_type"):
        value = filters.get(key) or ""
        if not isinstance(value, str) or len(value) > 60:
            raise ValidationError.for_field(f"filters.{key}", _("must be text of at most 60 characters"))
        if key == "region_prefix" and value and not value.isdigit():
            raise ValidationError.for_field("filters.region_prefix", _("must be a region code (digits)"))
        if key == "licence_type" and value and value not in registry_selectors.licence_types_by_code():
            raise ValidationError.for_field("filters.licence_type", _("no e-licence type with this code"))
        if value:
            out[key] = value
    grades = filters.get("grades") or []
    if not isinstance(grades, list) or any(g not in STRATA for g in grades):
        raise ValidationError.for_field("filters.grades", _("choose among %s") % ", ".join(STRATA))
    if grades:
        out["grades"] = sorted(set(grades))
    entities = filters.get("entities") or []
    if not isinstance(entities, list) or len(entities) > MAX_TARGETED:
        raise ValidationError.for_field(
            "filters.entities", _("a list of at most %d credit codes") % MAX_TARGETED
        )
    if entities:
        try:
            out["entities"] = sorted({validate_uscc(code) for code in entities})
        except (TypeError, ValueError):
            raise ValidationError.for_field(
                "filters.entities", _("each must be a unified social credit code")
            ) from None
    return out


def _clean_permille(permille: Any) -> dict:
    if permille in (None, {}):
        return {}
    if not isinstance(permille, dict) or set(permille) - set(STRATA):
        raise ValidationError.for_field("permille", _("keys are the strata %s") % ", ".join(STRATA))
    for key, value in permille.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1000:
            raise ValidationError.for_field(f"permille.{key}", _("must be a whole number from 0 to 1000"))
    return dict(permille)


@transaction.atomic
def plan_create(
    *,
    actor: Any,
    department: Any,
    title: str,
    items: list[SupervisionItem],
    joint_departments: list[Any] | None = None,
    filters: dict | None = None,
    permille: dict | None = None,
    inspectors_per_department: int = 2,
) -> InspectionPlan:
    """A draft plan of ``department`` (supervision.plan there), joint with others when given."""
    ensure_can(actor, "supervision.plan", department.org_unit, department)
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ValidationError.for_field("title", _("is required, at most %d characters") % 200)
    joint = [d for d in (joint_departments or []) if d.pk != department.pk]
    departments = {department.pk, *(d.pk for d in joint)}
    if not items:
        raise ValidationError.for_field("items", _("choose at least one supervision item"))
    if any(i.department_id not in departments or not i.active for i in items):
        raise ValidationError.for_field("items", _("items must be active items of the plan's departments"))
    if (
        isinstance(inspectors_per_department, bool)
        or not isinstance(inspectors_per_department, int)
        or not 1 <= inspectors_per_department <= 5
    ):
        raise ValidationError.for_field("inspectors_per_department", _("must be between 1 and 5"))
    plan = InspectionPlan.objects.create(
        number="CC" + timezone.localdate().strftime("%Y%m%d") + f"{secrets.randbelow(10**6):06d}",
        title=title,
        department=department,
        org_unit=department.org_unit,
        filters=_clean_filters(filters or {}),
        permille=_clean_permille(permille),
        inspectors_per_department=inspectors_per_department,
        created_by=actor,
        state=PLAN_FLOW.initial,
    )
    plan.items.set(items)
    plan.joint_departments.set(joint)
    PLAN_FLOW.start(plan, actor=actor, after={"number": plan.number, "joint": [d.code for d in joint]})
    return plan


def region_prefix_of(unit: Any) -> str:
    """The region-code prefix of an org unit's area: 330000 → 33, 330100 → 3301, 330106 → 330106."""
    code = unit.code if unit.code.isdigit() else ""
    while len(code) > 2 and code.endswith("00") and len(code) <= 6:
        code = code[:-2]
    return code


ALL_STRATA = dict.fromkeys(STRATA, 1000)


@transaction.atomic
def plan_from_alert(
    *, actor: Any, alert: SupervisionAlert, items: list[SupervisionItem], department: Any = None
) -> InspectionPlan:
    """A targeted plan (专项检查) seeded from a platform-data alert: the platform is the whole
    population (drawn whole), its supervising department leads unless another is given; the
    inspectors are still drawn at random with the conflict rules. One plan per alert."""
    alert = SupervisionAlert.objects.select_for_update().select_related("platform__entity").get(pk=alert.pk)
    if alert.plan_id is not None:
        raise Conflict(_("a plan was seeded from this alert already"), code=SupervisionError.ALERT_SEEDED)
    platform = alert.platform
    plan = plan_create(
        actor=actor,
        department=department or platform.department,
        title=(
            _("Targeted inspection: %(name)s, %(alert)s")
            % {"name": platform.entity.name, "alert": alert.message}
        )[:200],
        items=items,
        filters={"entities": [platform.entity.uscc]},
        permille=ALL_STRATA,
        inspectors_per_department=2,
    )
    plan.source_ref = f"alert:{alert.pk}"
    InspectionPlan.objects.filter(pk=plan.pk).update(source_ref=plan.source_ref)
    SupervisionAlert.objects.filter(pk=alert.pk).update(plan=plan)
    return plan


def plan_from_credit(*, actor: Any, department: Any, items: list[SupervisionItem]) -> InspectionPlan:
    """A targeted plan seeded from the credit alert: every entity graded D (serious dishonesty
    included) in the department's area, drawn whole (信用分级分类监管)."""
    plan = plan_create(
        actor=actor,
        department=department,
        title=_("Targeted inspection of credit grade D entities"),
        items=items,
        filters={"grades": ["D"], "region_prefix": region_prefix_of(department.org_unit)},
        permille={"D": 1000},
        inspectors_per_department=2,
    )
    plan.source_ref = "credit:D"
    InspectionPlan.objects.filter(pk=plan.pk).update(source_ref=plan.source_ref)
    return plan


def plan_departments(plan: InspectionPlan) -> list[Any]:
    return [plan.department, *plan.joint_departments.select_related("org_unit")]


def _population_rows(plan: InspectionPlan) -> list[tuple[str, str]]:
    f = plan.filters
    qs = registry_selectors.legal_entities_filtered(
        entity_type=f.get("entity_type", ""),
        region_prefix=f.get("region_prefix", ""),
        licence_type_code=f.get("licence_type", ""),
    )
    if f.get("entities"):
        qs = qs.filter(uscc__in=f["entities"])
    grades = credit_selectors.grades_by_entity_id(None)
    wanted = set(f.get("grades") or STRATA)
    rows = []
    for pk, uscc in qs.values_list("id", "uscc").iterator(chunk_size=20_000):
        stratum = grades.get(pk, "U")
        if stratum in wanted:
            rows.append((uscc, stratum))
    return rows


def _officer_pool(plan: InspectionPlan) -> dict[str, list[Officer]]:
    today = timezone.localdate()
    pool: dict[str, list[Officer]] = {}
    for dept in plan_departments(plan):
        officers = Officer.objects.filter(department=dept, active=True, certificate_valid_to__gte=today)
        pool[department_key(dept)] = list(officers.order_by("number"))
    return pool


@transaction.atomic
def plan_commit(*, actor: Any, plan: InspectionPlan, expected_version: int | None = None) -> InspectionPlan:
    """Freeze the population (file + SHA-256) and commit to a fresh seed (SHA-256 of it): both
    published before the draw. The seed stays secret until the draw."""
    ensure_can(actor, "supervision.plan", plan.org_unit, plan.department)
    rows = _population_rows(plan)
    if not rows:
        raise ValidationError(
            _("the plan's filters select no entity"), code=SupervisionError.EMPTY_POPULATION
        )
    data = draw.population_text(rows)
    pool = _officer_pool(plan)
    officers_text = "".join(f"{dept},{o.number}\n" for dept in sorted(pool) for o in pool[dept]).encode(
        "utf-8"
    )
    seed = draw.new_seed()
    path = population_path(plan)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    (plan_dir(plan) / "officers.csv").write_bytes(officers_text)
    # The seed is kept out of the audit trail until the draw publishes it.
    now = timezone.now()
    InspectionPlan.objects.filter(pk=plan.pk).update(seed=seed, committed_at=now)
    plan.seed, plan.committed_at = seed, now
    PLAN_FLOW.apply(
        plan,
        "commit",
        actor=actor,
        expected_version=expected_version,
        changes={
            "population_size": len(rows),
            "population_hash": draw.sha256_hex(data),
            "officers_hash": draw.sha256_hex(officers_text),
            "seed_commitment": draw.commitment(seed),
        },
    )
    return plan


def stratum_counts(plan: InspectionPlan, sizes: dict[str, int]) -> dict[str, int]:
    """{stratum: number drawn} for {stratum: population size}."""
    return {
        s: draw.stratum_count(
            size, plan.permille.get(s, credit_selectors.inspection_permille(s if s != "U" else ""))
        )
        for s, size in sizes.items()
    }


def _refuse_draw(actor: Any, plan: InspectionPlan, reason: str) -> None:
    # Recorded in its own transaction before raising: the refused attempt stays in the trail.
    with transaction.atomic():
        audit.record(
            actor=actor, action="supervision.plan.draw_refused", target=plan, after={"reason": reason}
        )
    raise Conflict(
        _("the draw is refused: %s") % reason, code=SupervisionError.SEED_MISMATCH, details={"reason": reason}
    )


def _drawn_targets(actor: Any, plan: InspectionPlan) -> dict[str, list[tuple[str, str]]]:
    """{stratum: [(credit code, HMAC hex)]} drawn from the frozen population file, refused if the
    file no longer matches its published hash. (A function of its own so that the file's bytes
    are let go before the inspectors are drawn.)"""
    data = population_path(plan).read_bytes()
    if draw.sha256_hex(data) != plan.population_hash:
        _refuse_draw(actor, plan, "population file does not match its published hash")
    return draw.draw_targets_from_file(data, plan.seed, lambda sizes: stratum_counts(plan, sizes))


def _frozen_pool(actor: Any, plan: InspectionPlan) -> dict[str, list[str]]:
    """{department key: [officer numbers]} of the pool frozen at the commitment (the file whose
    hash was published, what the public recomputes the inspectors from), refused if the file no
    longer matches its hash. Every department of the plan has a key (empty if it had nobody)."""
    try:
        data = (plan_dir(plan) / "officers.csv").read_bytes()
    except FileNotFoundError:
        data = None
    if data is None or draw.sha256_hex(data) != plan.officers_hash:
        _refuse_draw(actor, plan, "officer pool file does not match its published hash")
    pool: dict[str, list[str]] = {department_key(d): [] for d in plan_departments(plan)}
    for line in data.decode("utf-8").splitlines():
        dept, _sep, number = line.partition(",")
        pool.setdefault(dept, []).append(number)
    return pool


def _exclusions(
    by_number: dict[str, Officer], unavailable: Collection[str], entities: dict[str, tuple[int, str]]
) -> dict[str, dict[str, str]]:
    """{credit code: {officer number: reason}} for the drawn entities ({credit code: (id, region
    code)}): one reason per officer, in this order: unavailable (in the frozen pool but no longer
    active with a valid certificate), residence, recent, declared. Only the officers a rule can
    exclude are looked at per target, not the whole pool."""
    recent_since = timezone.localdate() - dt.timedelta(days=settings.SUPERVISION_RECENT_INSPECTION_DAYS)
    code_of = {pk: code for code, (pk, _region) in entities.items()}
    number_of = {o.pk: number for number, o in by_number.items()}
    recent_of: dict[str, list[str]] = {}
    for entity_id, officer_id in Inspection.inspectors.through.objects.filter(
        inspection__entity_id__in=list(code_of),
        inspection__plan__drawn_at__date__gte=recent_since,
        officer_id__in=list(number_of),
    ).values_list("inspection__entity_id", "officer_id"):
        recent_of.setdefault(code_of[entity_id], []).append(number_of[officer_id])
    declared_of: dict[str, list[str]] = {}
    for number, officer in by_number.items():
        for code in officer.declared_relations:
            declared_of.setdefault(code, []).append(number)
    residents = [(n, o.residence_region) for n, o in by_number.items() if o.residence_region]
    regions = set(dict(residents).values())  # a handful: matched per target, officers only then
    gone = dict.fromkeys(sorted(unavailable), "unavailable")
    out: dict[str, dict[str, str]] = {}
    for code, (_pk, region_code) in entities.items():
        excluded = dict(gone)
        matched = {region for region in regions if region_code.startswith(region)}
        if matched:
            for number, region in residents:
                if region in matched:
                    excluded.setdefault(number, "residence")
        for number in sorted(set(recent_of.get(code, ()))):
            excluded.setdefault(number, "recent")
        for number in declared_of.get(code, ()):
            excluded.setdefault(number, "declared")
        out[code] = excluded
    return out


def _store_drawn(
    plan: InspectionPlan, rows: list[tuple[str, int, int, str, dict]], links: list[list[int]]
) -> None:
    """Write the drawn inspections, rows of (stratum, rank, entity id, HMAC hex, exclusions), and
    their inspectors (officer ids per row): on PostgreSQL with two COPYs (ids taken from the
    sequence in one query), else with ``bulk_create``. The same rows either way (tested)."""
    if connection.vendor == "postgresql":
        _copy_drawn(plan, rows, links)
    else:
        _bulk_create_drawn(plan, rows, links)


def _bulk_create_drawn(
    plan: InspectionPlan, rows: list[tuple[str, int, int, str, dict]], links: list[list[int]]
) -> None:
    """``_store_drawn`` on any database (SQLite, the embedded default)."""
    created = Inspection.objects.bulk_create(
        [
            Inspection(
                plan=plan,
                entity_id=entity_id,
                stratum=stratum,
                rank=rank,
                draw_hmac=mac,
                exclusions=exclusions,
                org_unit_id=plan.org_unit_id,
                department_id=plan.department_id,
                state="assigned",
            )
            for stratum, rank, entity_id, mac, exclusions in rows
        ]
    )
    Through = Inspection.inspectors.through
    Through.objects.bulk_create(
        [
            Through(inspection_id=i.pk, officer_id=officer_id)
            for i, officer_ids in zip(created, links, strict=True)
            for officer_id in officer_ids
        ]
    )


_PER_ROW = ("stratum", "rank", "entity_id", "draw_hmac", "exclusions")


def _copy_drawn(
    plan: InspectionPlan, rows: list[tuple[str, int, int, str, dict]], links: list[list[int]]
) -> None:
    """``_store_drawn`` on PostgreSQL: every column of the table written, those the draw does not
    set with what a new ``Inspection`` of the plan holds (its defaults, prepared by the fields
    themselves), without building a model instance per row (half a second of a 1,000-target
    draw with ``bulk_create``)."""
    template = Inspection(
        plan=plan, org_unit_id=plan.org_unit_id, department_id=plan.department_id, state="assigned"
    )
    fields = [f for f in Inspection._meta.concrete_fields if not f.primary_key]
    by_name = {f.attname: f for f in fields}
    constant = [
        f.get_db_prep_save(f.pre_save(template, True), connection)
        for f in fields
        if f.attname not in _PER_ROW
    ]
    exclusions_field = by_name["exclusions"]
    table, through = Inspection._meta.db_table, Inspection.inspectors.through
    columns = ", ".join(
        connection.ops.quote_name(f.column)
        for f in [*(by_name[n] for n in _PER_ROW), *(f for f in fields if f.attname not in _PER_ROW)]
    )
    with connection.cursor() as c:
        c.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(rows)],
        )
        ids = sorted(i for (i,) in c.fetchall())
        with c.cursor.copy(f"COPY {connection.ops.quote_name(table)} (id, {columns}) FROM STDIN") as copy:
            for pk, (stratum, rank, entity_id, mac, exclusions) in zip(ids, rows, strict=True):
                copy.write_row(
                    (
                        pk,
                        stratum,
                        rank,
                        entity_id,
                        mac,
                        exclusions_field.get_db_prep_save(exclusions, connection),
                        *constant,
                    )
                )
        link_table = connection.ops.quote_name(through._meta.db_table)
        with c.cursor.copy(f"COPY {link_table} (inspection_id, officer_id) FROM STDIN") as copy:
            for pk, officer_ids in zip(ids, links, strict=True):
                for officer_id in officer_ids:
                    copy.write_row((pk, officer_id))


def plan_draw(
    *, actor: Any, plan: InspectionPlan, seed: str | None = None, expected_version: int | None = None
) -> InspectionPlan:
    """Draw targets per stratum and inspectors per target from the committed population and
    officer pool with the committed seed, then publish the seed. A second draw, a seed that does
    not match the commitment, or a frozen file that no longer matches its published hash, is
    refused and audited; nothing else changes."""
    ensure_can(actor, "supervision.plan", plan.org_unit, plan.department)
    if plan.state != "committed":
        _refuse_draw(actor, plan, "already drawn" if plan.drawn_at else "not committed")
    if seed is not None and draw.commitment(seed) != plan.seed_commitment:
        _refuse_draw(actor, plan, "seed does not match the commitment")
    targets = _drawn_targets(actor, plan)
    drawn = [(s, rank, code, mac) for s, rows in targets.items() for rank, (code, mac) in enumerate(rows, 1)]
    # The published draw stands for entities deregistered since the commitment too (their
    # inspection records it); registry records are never deleted, so a code missing is refused.
    entities = registry_selectors.legal_entity_ids_and_regions([d[2] for d in drawn])
    missing = sorted({d[2] for d in drawn} - set(entities))
    if missing:
        _refuse_draw(actor, plan, "drawn entities missing from the registry: " + ", ".join(missing[:5]))
    numbers = _frozen_pool(actor, plan)
    by_number = {
        o.number: o
        for o in Officer.objects.filter(number__in=[n for ns in numbers.values() for n in ns]).only(
            "id", "number", "residence_region", "declared_relations", "active", "certificate_valid_to"
        )
    }
    today = timezone.localdate()
    unavailable = {
        n
        for ns in numbers.values()
        for n in ns
        if n not in by_number or not by_number[n].active or by_number[n].certificate_valid_to < today
    }
    exclusions = _exclusions(by_number, unavailable, entities)
    chosen_all = draw.draw_inspectors_many(
        plan.seed,
        numbers,
        [(code, exclusions[code]) for _s, _rank, code, _mac in drawn],
        plan.inspectors_per_department,
    )
    rows, links = [], []
    for (stratum, rank, code, mac), chosen in zip(drawn, chosen_all, strict=True):
        if chosen is None:
            raise ValidationError(
                _("too few officers without a conflict of interest for %s") % code,
                code=SupervisionError.NO_INSPECTORS,
            )
        rows.append((stratum, rank, entities[code][0], mac, exclusions[code]))
        links.append([by_number[n].pk for dept in sorted(chosen) for n in chosen[dept]])
    with transaction.atomic():
        _store_drawn(plan, rows, links)
        PLAN_FLOW.apply(
            plan,
            "draw",
            actor=actor,
            expected_version=expected_version,
            data={"targets": len(rows), "seed": plan.seed},
        )
        plan.drawn_at = timezone.now()
        InspectionPlan.objects.filter(pk=plan.pk).update(drawn_at=plan.drawn_at)
    return plan


@transaction.atomic
def plan_close(*, actor: Any, plan: InspectionPlan, expected_version: int | None = None) -> InspectionPlan:
    """Close a drawn plan once every inspection is published."""
    if plan.inspections.exclude(state="published").exists():
        raise ValidationError.for_field("state", _("publish every inspection result first"))
    PLAN_FLOW.apply(plan, "close", actor=actor, expected_version=expected_version)
    return plan


def may_plan(actor: Any, plan: InspectionPlan) -> bool:
    return can(actor, "supervision.plan", plan.org_unit, plan.department)
