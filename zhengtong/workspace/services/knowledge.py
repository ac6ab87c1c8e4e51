"""The knowledge base: shared answers, procedures and precedents, public or internal, searched
in Chinese (and by the pinyin of titles), linked from tasks, cases and work orders. The 12345
knowledge base is this mechanism: its public answers are the public entries."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_authenticated, ensure_can, ensure_can_on
from zhengtong.audit import services as audit
from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.workspace import selectors
from zhengtong.workspace.models import KnowledgeEntry, KnowledgeLink
from zhengtong.workspace.pinyin import normalize_text, readings
from zhengtong.workspace.services.common import text

REF_KINDS = ("task", "case", "workorder", "incident")


def _search_text(title: str, body: str, tags: str) -> str:
    full, initials = readings(title)
    return normalize_text(" ".join((title, tags, full, initials, body)))


def _values(kind: str, visibility: str, title: str, body: str, tags: str) -> dict[str, str]:
    if kind not in KnowledgeEntry.Kind.values:
        raise ValidationError.for_field(
            "kind", _("must be one of %s") % ", ".join(KnowledgeEntry.Kind.values)
        )
    if visibility not in KnowledgeEntry.Visibility.values:
        raise ValidationError.for_field("visibility", _("must be public or internal"))
    return {
        "kind": kind,
        "visibility": visibility,
        "title": text("title", title, 200),
        "body": text("body", body, 20000),
        "tags": text("tags", tags, 200, required=False),
    }


@transaction.atomic
def knowledge_entry_create(
    *, actor: Any, kind: str, visibility: str, title: str, body: str, tags: str = ""
) -> KnowledgeEntry:
    """Write an entry for the actor's unit and department (``workspace.knowledge_edit``)."""
    ensure_authenticated(actor)
    if getattr(actor, "org_unit_id", None) is None:
        raise PermissionDenied(_("the knowledge base is written by staff"))
    ensure_can(actor, "workspace.knowledge_edit", actor.org_unit)
    values = _values(kind, visibility, title, body, tags)
    entry = KnowledgeEntry.objects.create(
        **values,
        org_unit_id=actor.org_unit_id,
        department_id=actor.department_id,
        author=actor,
        search_text=_search_text(values["title"], values["body"], values["tags"]),
    )
    audit.record(
        actor=actor,
        action="workspace.knowledge.create",
        target=entry,
        org_unit=actor.org_unit,
        after={"title": entry.title, "visibility": entry.visibility},
    )
    return entry


@transaction.atomic
def knowledge_entry_update(
    *, actor: Any, entry: KnowledgeEntry, kind: str, visibility: str, title: str, body: str, tags: str = ""
) -> KnowledgeEntry:
    """Change an entry (``workspace.knowledge_edit`` at its unit)."""
    ensure_can_on(actor, "workspace.knowledge_edit", entry)
    values = _values(kind, visibility, title, body, tags)
    before = {"title": entry.title, "visibility": entry.visibility}
    for key, value in values.items():
        setattr(entry, key, value)
    entry.search_text = _search_text(entry.title, entry.body, entry.tags)
    entry.save()
    audit.record(
        actor=actor,
        action="workspace.knowledge.update",
        target=entry,
        before=before,
        after={"title": entry.title, "visibility": entry.visibility},
    )
    return entry


@transaction.atomic
def knowledge_link(*, actor: Any, entry: KnowledgeEntry, ref: str) -> KnowledgeLink:
    """Link an entry from a task (the actor must see the task) or another module's object
    ("case:<id>", "workorder:<number>", "incident:<id>")."""
    ensure_authenticated(actor)
    ref = text("ref", ref, 64)
    kind, _sep, key = ref.partition(":")
    if kind not in REF_KINDS or not key:
        raise ValidationError.for_field(
            "ref", _("must be one of %s followed by “:” and an id") % ", ".join(REF_KINDS)
        )
    ensure_can(actor, "workspace.use")
    if kind == "task":
        if not key.isdigit():
            raise ValidationError.for_field("ref", _("a task id is a number"))
        selectors.task_for(actor, int(key))
    try:
        with transaction.atomic():
            link = KnowledgeLink.objects.create(entry=entry, ref=ref, created_by=actor)
    except IntegrityError:
        link = KnowledgeLink.objects.get(entry=entry, ref=ref)
        return link
    audit.record(actor=actor, action="workspace.knowledge.link", target=entry, after={"ref": ref})
    return link
