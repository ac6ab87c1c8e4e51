"""``{% load notify_tags %}{% unread_badge user %}``: the header's link to the inbox with the
unread count (one indexed COUNT query)."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zhengtong.notify.selectors import unread_count

register = template.Library()


@register.simple_tag
def unread_messages(user) -> int:
    return unread_count(user)


@register.simple_tag
def unread_badge(user) -> str:
    if not getattr(user, "is_authenticated", False):
        return ""
    count = unread_count(user)
    if not count:
        return format_html('<a href="{}">{}</a>', reverse("notify:inbox"), _("My messages"))
    label = ngettext("%(count)d unread message", "%(count)d unread messages", count) % {"count": count}
    return format_html(
        '<a href="{}">{} <span class="badge" aria-label="{}">{}</span></a>',
        reverse("notify:inbox"),
        _("My messages"),
        label,
        count,
    )
