"""Public participation: consultations on drafts with comments per article, moderation under
published rules and a public summary of opinions (意见征集); the leaders' mailbox (领导信箱) on
the work-order mechanism."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_authenticated, ensure_can
from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, RateLimited, ValidationError
from zhengtong.opengov.errors import OpengovError
from zhengtong.opengov.models import Article, Comment, Consultation, Letter
from zhengtong.privacy.detectors import scan_text
from zhengtong.workorders import services as workorders

VIA = "opengov"


def _text(field: str, value: Any, max_length: int, *, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationError.for_field(field, _("is required"))
    if len(text) > max_length:
        raise ValidationError.for_field(field, _("at most %d characters") % max_length)
    return text


def _articles(articles: Any) -> list[tuple[str, str]]:
    if not isinstance(articles, (list, tuple)) or not articles:
        raise ValidationError.for_field("articles", _("a draft needs at least one article"))
    if len(articles) > 300:
        raise ValidationError.for_field("articles", _("at most %d articles") % 300)
    out = []
    for pair in articles:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValidationError.for_field("articles", _("each article is a heading and a text"))
        out.append((_text("articles", pair[0], 100), _text("articles", pair[1], 10_000)))
    return out


def _period(opens_on: Any, closes_on: Any) -> tuple[dt.date, dt.date]:
    if not isinstance(opens_on, dt.date):
        raise ValidationError.for_field("opens_on", _("must be a date"))
    if not isinstance(closes_on, dt.date) or closes_on < opens_on:
        raise ValidationError.for_field("closes_on", _("must be a date on or after the opening date"))
    return opens_on, closes_on


@transaction.atomic
def consultation_create(
    *,
    actor: Any,
    department: Any,
    title: str,
    rules: str,
    opens_on: dt.date,
    closes_on: dt.date,
    articles: list[tuple[str, str]],
    introduction: str = "",
) -> Consultation:
    """Open a draft for comments from ``opens_on`` to ``closes_on`` (inclusive), article by
    article, under published moderation ``rules``."""
    ensure_can(actor, "opengov.publish", department.org_unit, department)
    opens_on, closes_on = _period(opens_on, closes_on)
    if closes_on < timezone.localdate():
        raise ValidationError.for_field("closes_on", _("cannot be in the past"))
    pairs = _articles(articles)
    consultation = Consultation.objects.create(
        org_unit=department.org_unit,
        department=department,
        title=_text("title", title, 300),
        introduction=_text("introduction", introduction, 10_000, required=False),
        rules=_text("rules", rules, 5000),
        opens_on=opens_on,
        closes_on=closes_on,
        state=Consultation.State.OPEN,
        created_by=actor,
    )
    Article.objects.bulk_create(
        Article(consultation=consultation, position=i, heading=heading, text=text)
        for i, (heading, text) in enumerate(pairs, start=1)
    )
    audit.record(actor=actor, action="opengov.consultation.create", target=consultation)
    return consultation


@transaction.atomic
def consultation_update(
    *,
    actor: Any,
    consultation: Consultation,
    title: str,
    rules: str,
    opens_on: dt.date,
    closes_on: dt.date,
    articles: list[tuple[str, str]],
    introduction: str = "",
) -> Consultation:
    """Change a consultation. Before it opens, everything may change; once open (people may have
    read and commented on the text), only the closing date may move, and only later; after its
    summary, nothing."""
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    ensure_can(actor, "opengov.publish", consultation.org_unit, consultation.department)
    if consultation.state == Consultation.State.SUMMARIZED:
        raise Conflict(_("the summary is published"), code=OpengovError.PUBLISHED)
    opens_on, closes_on = _period(opens_on, closes_on)
    today = timezone.localdate()
    before = {"closes_on": consultation.closes_on.isoformat()}
    if consultation.opens_on <= today:
        current = [(a.heading, a.text) for a in consultation.articles.all()]
        unchanged = (
            _text("title", title, 300) == consultation.title
            and _text("rules", rules, 5000) == consultation.rules
            and _text("introduction", introduction, 10_000, required=False) == consultation.introduction
            and opens_on == consultation.opens_on
            and _articles(articles) == current
        )
        if not unchanged or closes_on < consultation.closes_on:
            raise Conflict(
                _("the consultation opened on %s: only its closing date can be moved later")
                % consultation.opens_on.isoformat(),
                code=OpengovError.CONSULTATION_STARTED,
            )
        consultation.closes_on = closes_on
        consultation.save(update_fields=["closes_on"])
    else:
        if opens_on < today:
            raise ValidationError.for_field("opens_on", _("cannot be in the past"))
        pairs = _articles(articles)
        consultation.title = _text("title", title, 300)
        consultation.rules = _text("rules", rules, 5000)
        consultation.introduction = _text("introduction", introduction, 10_000, required=False)
        consultation.opens_on, consultation.closes_on = opens_on, closes_on
        consultation.save(update_fields=["title", "rules", "introduction", "opens_on", "closes_on"])
        consultation.articles.all().delete()
        Article.objects.bulk_create(
            Article(consultation=consultation, position=i, heading=heading, text=text)
            for i, (heading, text) in enumerate(pairs, start=1)
        )
    audit.record(
        actor=actor,
        action="opengov.consultation.update",
        target=consultation,
        before=before,
        after={"closes_on": consultation.closes_on.isoformat()},
    )
    return consultation


def _is_open(consultation: Consultation, today: dt.date) -> bool:
    return (
        consultation.state == Consultation.State.OPEN
        and consultation.opens_on <= today <= consultation.closes_on
    )


@transaction.atomic
def comment_post(
    *, actor: Any, consultation: Consultation, body: str, article: Article | None = None
) -> Comment:
    """A signed-in citizen comments on the draft or on one article, while it is open; the
    comment waits for moderation. Identifiers in the text are masked before it is stored."""
    ensure_authenticated(actor)
    if not _is_open(consultation, timezone.localdate()):
        raise Conflict(
            _("comments are taken from %(start)s to %(end)s")
            % {"start": consultation.opens_on.isoformat(), "end": consultation.closes_on.isoformat()},
            code=OpengovError.CONSULTATION_CLOSED,
        )
    if article is not None and article.consultation_id != consultation.pk:
        raise ValidationError.for_field("article", _("is not an article of this draft"))
    text = _text("body", body, 3000)
    since = timezone.now() - dt.timedelta(days=1)
    if (
        Comment.objects.filter(consultation=consultation, author=actor, created_at__gte=since).count()
        >= settings.OPENGOV_COMMENTS_PER_DAY
    ):
        raise RateLimited(
            _("you have commented too often today"),
            details={"retry_after": 86400, "limit": settings.OPENGOV_COMMENTS_PER_DAY},
        )
    comment = Comment.objects.create(
        consultation=consultation, article=article, author=actor, body=scan_text(text)
    )
    audit.record(actor=actor, action="opengov.comment.post", target=comment)
    return comment


@transaction.atomic
def comment_moderate(*, actor: Any, comment: Comment, publish: bool, reason: str = "") -> Comment:
    """Publish a comment, or keep it unpublished naming the rule it breaks."""
    consultation = comment.consultation
    ensure_can(actor, "opengov.moderate", consultation.org_unit, consultation.department)
    if not publish and not (reason or "").strip():
        raise ValidationError.for_field("reason", _("name the moderation rule the comment breaks"))
    comment.state = Comment.State.PUBLISHED if publish else Comment.State.REJECTED
    comment.moderation_reason = (reason or "").strip()[:300]
    comment.save(update_fields=["state", "moderation_reason"])
    audit.record(
        actor=actor, action="opengov.comment.moderate", target=comment, after={"state": comment.state}
    )
    return comment


@transaction.atomic
def comment_decide(*, actor: Any, comment: Comment, outcome: str, reason: str) -> Comment:
    """Adopt or reject an opinion, with the reason given in the public summary."""
    consultation = comment.consultation
    ensure_can(actor, "opengov.publish", consultation.org_unit, consultation.department)
    if outcome not in ("adopted", "partly", "rejected"):
        raise ValidationError.for_field("outcome", _("must be one of %s") % "adopted, partly, rejected")
    comment.outcome = outcome
    comment.outcome_reason = _text("reason", reason, 2000)
    comment.save(update_fields=["outcome", "outcome_reason"])
    audit.record(actor=actor, action="opengov.comment.decide", target=comment, after={"outcome": outcome})
    return comment


@transaction.atomic
def consultation_summarize(*, actor: Any, consultation: Consultation, summary: str) -> Consultation:
    """After the period: publish the summary; every published comment needs its outcome."""
    ensure_can(actor, "opengov.publish", consultation.org_unit, consultation.department)
    if timezone.localdate() <= consultation.closes_on:
        raise Conflict(_("the consultation is still open"), code=OpengovError.CONSULTATION_CLOSED)
    undecided = consultation.comments.filter(state=Comment.State.PUBLISHED, outcome="").count()
    if undecided:
        raise ValidationError.for_field("summary", _("%d published opinions have no outcome yet") % undecided)
    consultation.summary = _text("summary", summary, 20_000)
    consultation.state = Consultation.State.SUMMARIZED
    consultation.summarized_at = timezone.now()
    consultation.save(update_fields=["summary", "state", "summarized_at"])
    audit.record(actor=actor, action="opengov.consultation.summarize", target=consultation)
    return consultation


@transaction.atomic
def letter_send(
    *, actor: Any, department: Any, title: str, body: str, publish_consent: bool = False
) -> Letter:
    """Write to a department's leaders: opened as a work order (``mailbox:<id>``) so the one
    work-order mechanism routes it, runs its clock and escalates it."""
    ensure_authenticated(actor)
    letter = Letter.objects.create(
        writer=actor,
        department=department,
        org_unit=department.org_unit,
        title=_text("title", title, 200),
        body=_text("body", body, 4000),
        publish_consent=bool(publish_consent),
    )
    order = workorders.work_order_open_on_behalf(
        requester=actor,
        via=VIA,
        kind="suggestion",
        category="1101",
        title=f"【领导信箱】{letter.title}"[:200],
        description=letter.body,
        region=department.org_unit,
        department=department,
        source_ref=f"mailbox:{letter.pk}",
        due_working_days=settings.OPENGOV_MAILBOX_DAYS,
    )
    letter.work_order_number = order.number
    letter.save(update_fields=["work_order_number"])
    audit.record(actor=actor, action="opengov.letter.send", target=letter, after={"work_order": order.number})
    return letter


def on_mailbox_closed(*, work_order) -> None:
    """``workorders.work_order_closed`` for ``mailbox:`` letters: keep the reply on the letter
    (public when the writer agreed)."""
    pk = work_order.source_ref.split(":", 1)[1]
    Letter.objects.filter(pk=pk).update(reply=work_order.reply, replied_at=work_order.replied_at)
