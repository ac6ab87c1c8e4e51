"""RSS and Atom feeds of newly published disclosure documents (Django's syndication framework)."""

from __future__ import annotations

import datetime as dt

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from zhengtong.opengov import selectors


class DocumentsRss(Feed):
    """The 50 newest documents, optionally of one department (``?department=<id>``) or category."""

    access_policy = "public"  # what core.access.public sets on a view (the feed is an instance)
    title = _("Government information disclosure: new documents")
    description = _("Documents published proactively by the departments")

    def get_object(self, request, *args, **kwargs):
        department = request.GET.get("department", "")
        return {
            "department": int(department) if department.isdigit() else None,
            "category": request.GET.get("category", "")[:20],
        }

    def link(self):
        return reverse("opengov:documents")

    def items(self, obj):
        return selectors.documents(filters=obj).order_by("-published_on", "-id")[:50]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return f"{item.issuing_body} {item.doc_number} · {item.get_validity_display()} — {item.body[:300]}"

    def item_link(self, item):
        return reverse("opengov:document", args=[item.pk])

    def item_pubdate(self, item):
        return timezone.make_aware(dt.datetime.combine(item.published_on, dt.time()))


class DocumentsAtom(DocumentsRss):
    feed_type = Atom1Feed
    subtitle = DocumentsRss.description
