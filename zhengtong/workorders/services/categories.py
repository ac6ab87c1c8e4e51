"""Writes of the 12345 category list (two levels, GB/T 39666): opening and closing a category for
new work orders. Categories are never deleted: old work orders keep their code."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import can, ensure_can
from zhengtong.audit import services as audit
from zhengtong.core import cache
from zhengtong.core.errors import NotFound
from zhengtong.workorders.categories import CACHE_NAMESPACE
from zhengtong.workorders.models import Category

PERMISSION = "workorders.manage_routing"


def _province() -> Any:
    return account_selectors.org_units_at_levels(["province"]).first()


def may_manage_categories(user: Any) -> bool:
    """Whether ``user`` may open and close categories (the check ``category_set_active`` makes),
    for pages that show the buttons only to those who may use them."""
    return can(user, PERMISSION, _province())


def category_set_active(*, actor: Any, code: str, active: bool) -> Category:
    """Open (``active``) or close a category for new work orders. The list is the platform's, so
    this needs workorders.manage_routing at the province; closing a first level closes all its
    second-level categories for new work orders (their own flag is kept). Work orders already
    filed keep their category. Audited as ``workorders.category.set_active``; every process sees
    the change within the cache's revalidation bound (core.cache)."""
    province = _province()
    ensure_can(actor, PERMISSION, province)
    category = Category.objects.filter(code=code).first()
    if category is None:
        raise NotFound(_("no such category"))
    with transaction.atomic():
        before = category.active
        category.active = bool(active)
        category.save(update_fields=["active"])
        audit.record(
            actor=actor,
            action="workorders.category.set_active",
            target=category,
            org_unit=province,
            before={"active": before},
            after={"active": category.active},
        )
        transaction.on_commit(lambda: cache.invalidate(CACHE_NAMESPACE))
    return category
