"""Pages of participation: consultations (public and moderation) and the leaders' mailbox."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.core.access import public, staff
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.core.forms import apply_domain_error
from zhengtong.opengov import selectors, services
from zhengtong.opengov.views._common import DOMAIN_ERRORS


@public
def consultations(request):
    return render(request, "opengov/consultations.html", {"items": selectors.consultations_public()[:100]})


@public
def consultation(request, pk):
    try:
        item = selectors.consultation_get(pk)
    except NotFound:
        raise Http404 from None
    error = None
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/login/?next={request.path}")
        article_pk = request.POST.get("article", "")
        article = item.articles.filter(pk=article_pk).first() if article_pk.isdigit() else None
        try:
            services.comment_post(
                actor=request.user, consultation=item, body=request.POST.get("body", ""), article=article
            )
        except DOMAIN_ERRORS as exc:
            error = exc.message
        else:
            messages.success(request, _("Thank you: your comment will appear once moderated."))
            return redirect("opengov:consultation", pk=item.pk)
    comments = list(selectors.comments_public(item))
    by_article: dict = {}
    for c in comments:
        by_article.setdefault(c.article_id, []).append(c)
    articles = [(a, by_article.get(a.pk, [])) for a in item.articles.all()]
    return render(
        request,
        "opengov/consultation.html",
        {
            "c": item,
            "articles": articles,
            "general": by_article.get(None, []),
            "comments": comments,
            "error": error,
        },
    )


@staff
def staff_consultation(request, pk):
    try:
        item = selectors.consultation_get(pk)
    except NotFound:
        raise Http404 from None
    error = None
    if request.method == "POST":
        try:
            action = request.POST.get("action")
            if action == "summarize":
                services.consultation_summarize(
                    actor=request.user, consultation=item, summary=request.POST.get("summary", "")
                )
            else:
                comment = selectors.comment_get(request.POST.get("comment", "0"))
                if comment.consultation_id != item.pk:
                    raise ValidationError.for_field("comment", _("is not a comment of this consultation"))
                if action == "moderate":
                    services.comment_moderate(
                        actor=request.user,
                        comment=comment,
                        publish=request.POST.get("publish") == "1",
                        reason=request.POST.get("reason", ""),
                    )
                elif action == "decide":
                    services.comment_decide(
                        actor=request.user,
                        comment=comment,
                        outcome=request.POST.get("outcome", ""),
                        reason=request.POST.get("reason", ""),
                    )
                else:
                    raise ValidationError.for_field("action", _("unknown action"))
        except (*DOMAIN_ERRORS, NotFound) as exc:
            error = exc.message
        else:
            return redirect("opengov:staff_consultation", pk=item.pk)
    return render(
        request,
        "opengov/staff_consultation.html",
        {"c": item, "comments": selectors.comments_to_moderate(request.user, item), "error": error},
    )


class LetterForm(forms.Form):
    department = forms.TypedChoiceField(label=gettext_lazy("Department"), coerce=int)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Letter"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )
    publish_consent = forms.BooleanField(label=gettext_lazy("The reply may be published"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [
            (d.pk, f"{d.org_unit.name} · {d.name}") for d in account_selectors.departments_active()[:500]
        ]


@public
def mailbox(request):
    form = LetterForm(request.POST or None) if request.user.is_authenticated else None
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            letter = services.letter_send(
                actor=request.user,
                department=account_selectors.department_by_id(data["department"]),
                title=data["title"],
                body=data["body"],
                publish_consent=data["publish_consent"],
            )
        except DOMAIN_ERRORS as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Sent: work order %s") % letter.work_order_number)
            return redirect("opengov:mailbox")
    return render(request, "opengov/mailbox.html", {"form": form, "letters": selectors.letters_public()[:50]})
