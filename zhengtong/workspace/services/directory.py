"""The directory (通讯录): entries kept beside the accounts, refreshed from them."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import can, ensure_authenticated
from zhengtong.audit import services as audit
from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.workspace.models import DirectoryEntry
from zhengtong.workspace.pinyin import grams, normalize_text, readings
from zhengtong.workspace.services.common import VIA, text

LEADER_ROLE = "leader"
CHUNK = 5000


def _search_text(name: str, pinyin: str, initials: str, department: str, position: str) -> str:
    return normalize_text(" ".join(p for p in (name, pinyin, initials, department, position) if p))[:600]


def directory_refresh(*, users: list[Any] | None = None, via: str = VIA) -> int:
    """Bring the directory up to date with the staff accounts (all of them, or ``users``): name,
    pinyin, unit, department, mobile number and whether they are a leader. Entries keep their
    position, duties, office phone and status. A trusted entry point (commands, demo data, the
    accounts' changes); recorded once on the audit trail. Returns how many entries it wrote."""
    staff = list(account_selectors.staff_users()) if users is None else list(users)
    if not staff:
        return 0
    create, update = [], []
    # In chunks: a province's staff are more ids than one statement may carry (PostgreSQL takes
    # at most 65,535 parameters).
    for start in range(0, len(staff), CHUNK):
        chunk = staff[start : start + CHUNK]
        ids = [u.pk for u in chunk]
        leaders = account_selectors.user_ids_with_role(LEADER_ROLE, user_ids=ids)
        existing = {e.user_id: e for e in DirectoryEntry.objects.filter(user_id__in=ids)}
        for user in chunk:
            if user.org_unit_id is None:
                continue
            name = user.display_name or user.username
            full, initials = readings(name)
            entry = existing.get(user.pk) or DirectoryEntry(user_id=user.pk)
            entry.name = name[:100]
            entry.pinyin, entry.initials = full, initials
            entry.org_unit_id, entry.org_path = user.org_unit_id, user.org_unit.path
            entry.department_id = user.department_id
            entry.mobile = user.phone or ""
            entry.is_leader = user.pk in leaders
            dept = user.department.name if user.department_id else ""
            entry.search_text = _search_text(entry.name, full, initials, dept, entry.position)
            entry.search_grams = grams(f"{entry.name} {dept} {entry.position}")
            (update if entry.pk else create).append(entry)
    with transaction.atomic():
        DirectoryEntry.objects.bulk_create(create, batch_size=1000)
        DirectoryEntry.objects.bulk_update(
            update,
            [
                "name",
                "pinyin",
                "initials",
                "org_unit",
                "org_path",
                "department",
                "mobile",
                "is_leader",
                "search_text",
                "search_grams",
            ],
            batch_size=1000,
        )
        audit.record(
            actor=None,
            action="workspace.directory.refresh",
            target_type="workspace.directoryentry",
            target_id=f"{len(create) + len(update)} entries",
            target_label="",
            after={"created": len(create), "updated": len(update)},
            via=via,
        )
    return len(create) + len(update)


@transaction.atomic
def directory_entry_update(
    *,
    actor: Any,
    entry: DirectoryEntry,
    position: str | None = None,
    duties: str | None = None,
    office_phone: str | None = None,
    status: str | None = None,
) -> DirectoryEntry:
    """Change what the directory says of someone: themselves, or a holder of
    ``accounts.manage_users`` at their unit. The mobile number comes from the account."""
    ensure_authenticated(actor)
    if entry.user_id != actor.pk and not can(actor, "accounts.manage_users", entry.org_unit):
        raise PermissionDenied(_("you may change only your own directory entry"))
    before = {"position": entry.position, "duties": entry.duties, "status": entry.status}
    if position is not None:
        entry.position = text("position", position, 100, required=False)
    if duties is not None:
        entry.duties = text("duties", duties, 300, required=False)
    if office_phone is not None:
        phone = text("office_phone", office_phone, 30, required=False)
        if phone and not all(c.isdigit() or c in "-+ ()" for c in phone):
            raise ValidationError.for_field("office_phone", _("digits, spaces and - + ( ) only"))
        entry.office_phone = phone
    if status is not None:
        if status not in DirectoryEntry.Status.values:
            raise ValidationError.for_field(
                "status", _("must be one of %s") % ", ".join(DirectoryEntry.Status.values)
            )
        entry.status = status
    dept = entry.department.name if entry.department_id else ""
    entry.search_text = _search_text(entry.name, entry.pinyin, entry.initials, dept, entry.position)
    entry.search_grams = grams(f"{entry.name} {dept} {entry.position}")
    entry.save()
    audit.record(
        actor=actor,
        action="workspace.directory.update",
        target=entry,
        org_unit=entry.org_unit,
        before=before,
        after={"position": entry.position, "duties": entry.duties, "status": entry.status},
    )
    return entry
