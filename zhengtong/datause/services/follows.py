"""Following datasets, departments and requests, and telling followers what happened."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import ensure_authenticated
from zhengtong.audit import actions as audit_actions
from zhengtong.catalog import selectors as catalog_selectors
from zhengtong.core.errors import NotFound
from zhengtong.datause.models import DataRequest, Follow
from zhengtong.datause.services.common import choice
from zhengtong.notify.services import notify

audit_actions.register({"datause.follow": gettext_lazy("Follow or unfollow")})


def _check_target(actor: Any, target: str, target_id: int) -> None:
    if target == Follow.Target.DATASET:
        catalog_selectors.resource_get(user=actor, name_or_id=target_id)
    elif target == Follow.Target.DEPARTMENT:
        if account_selectors.department_by_id(target_id) is None:
            raise NotFound(_("no such department"))
    elif not DataRequest.objects.filter(pk=target_id).filter(public=True).exists() and not (
        DataRequest.objects.filter(pk=target_id, requester_id=actor.pk).exists()
    ):
        raise NotFound(_("no such data request"))


def follow_set(*, actor: Any, target: str, target_id: int, on: bool = True) -> bool:
    """Follow (``on``) or stop following a dataset, department or (visible) request; returns
    whether the user now follows it. Idempotent: one row per user and target."""
    ensure_authenticated(actor)
    choice("target", target, list(Follow.Target.values))
    if isinstance(target_id, bool) or not isinstance(target_id, int) or target_id < 1:
        raise NotFound(_("no such item"))
    _check_target(actor, target, target_id)
    with transaction.atomic():
        if on:
            Follow.objects.get_or_create(user=actor, target=target, target_id=target_id)
        else:
            Follow.objects.filter(user=actor, target=target, target_id=target_id).delete()
    return on


def followers(target: str, target_ids: list[int]) -> list[Any]:
    """The active users following any of these targets, each once."""
    users = {}
    for follow in Follow.objects.filter(target=target, target_id__in=target_ids).select_related("user"):
        if follow.user.is_active:
            users[follow.user_id] = follow.user
    return list(users.values())


def tell(
    users: list[Any], *, event: str, title: str, body: str = "", link: str = "", skip: Any = None
) -> int:
    """One inbox message and e-mail per user (``skip``: the actor, who knows already)."""
    sent = 0
    for user in users:
        if skip is not None and user.pk == getattr(skip, "pk", None):
            continue
        notify(recipient=user, event=event, title=title, body=body, link=link, channels=("inbox", "email"))
        sent += 1
    return sent
