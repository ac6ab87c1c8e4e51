"""Letters the module issues: the dated, sealed reply letter (政府信息公开申请答复书) and the
extension notice (延期答复告知书), rendered and sealed by the platform's one seals mechanism; and
the PDF a redacted PDF's text is set into again."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from zhengtong.opengov.models import InfoRequest, ReplyType
from zhengtong.seals import services as seals
from zhengtong.seals.pdf import DocumentSpec, render_pdf

VIA = "opengov"

# The reply's wording per type of §36, with its legal basis.
_REPLY_LEAD = {
    ReplyType.DISCLOSED: "根据《中华人民共和国政府信息公开条例》第三十六条第（二）项，现将您申请的政府信息提供如下：",
    ReplyType.ALREADY_PUBLIC: "您申请的政府信息已经主动公开。根据《中华人民共和国政府信息公开条例》第三十六条第（一）项，告知您获取该信息的方式和途径：",
    ReplyType.PARTLY: "根据《中华人民共和国政府信息公开条例》第三十七条，您申请的政府信息中含有不应当公开的内容，但能够作区分处理，现提供可以公开的部分。",
    ReplyType.NOT_DISCLOSABLE: "根据《中华人民共和国政府信息公开条例》第三十六条第（三）项，您申请的政府信息依法不予公开。",
    ReplyType.NOT_HELD: "经检索，根据《中华人民共和国政府信息公开条例》第三十六条第（四）项，本机关不掌握您申请的政府信息。",
    ReplyType.REFERRED: "根据《中华人民共和国政府信息公开条例》第三十六条第（五）项，您申请的政府信息不属于本机关负责公开。",
    ReplyType.REPEAT: "根据《中华人民共和国政府信息公开条例》第三十六条第（六）项，您的申请属于重复申请，本机关不予重复处理。",
    ReplyType.NOT_GOVERNMENT_INFO: "根据《中华人民共和国政府信息公开条例》第三十九条，您申请的内容不属于政府信息公开申请的范围。",
}


def render_plain_pdf(title: str, paragraphs: list[str]) -> bytes:
    """A plain PDF of ``paragraphs`` (a redacted PDF's text, set again: no original survives)."""
    return render_pdf(DocumentSpec(title=title, paragraphs=paragraphs))


def _paragraphs(req: InfoRequest) -> list[str]:
    received = timezone.localdate(req.created_at)
    out = [
        f"本机关于{received:%Y年%m月%d日}收到您提出的政府信息公开申请（编号{req.number}），"
        f"申请内容为：“{req.description}”。经审查，现答复如下：",
        _REPLY_LEAD[ReplyType(req.reply_type)],
    ]
    if req.reply_text:
        out.append(req.reply_text)
    if req.public_link:
        out.append(f"获取途径：{req.public_link}")
    if req.legal_ground:
        out.append(f"依据和理由：{req.legal_ground}")
    if req.referral_body:
        contact = f"（联系方式：{req.referral_contact}）" if req.referral_contact else ""
        out.append(f"负责公开该政府信息的行政机关：{req.referral_body}{contact}。")
    if req.previous_number:
        out.append(f"本机关已于此前答复您的申请（编号{req.previous_number}）。")
    if req.reply_type == ReplyType.PARTLY:
        out.append("提供的文件见附件（已作区分处理）。")
    out.append(
        "如对本答复不服，可以自收到本答复之日起六十日内依法申请行政复议，"
        "或者自收到本答复之日起六个月内依法提起行政诉讼。"
    )
    return out


def issue_reply_letter(req: InfoRequest, *, actor: Any) -> str:
    """Render and seal the dated reply letter of ``req``; returns its public verification code."""
    department = req.department
    title = "政府信息公开申请答复书"
    spec = DocumentSpec(
        issuer=department.name,
        title=title,
        doc_number=f"{department.name}依申请公开〔{timezone.localdate():%Y}〕{req.number[-6:]}号",
        recipients=f"{req.requester.display_name or req.requester.get_username()}：",
        paragraphs=_paragraphs(req),
        attachments=[d.filename for d in req.documents.filter(checked_at__isnull=False)],
        signer=department.name,
        date=timezone.localdate(),
        red_header=False,
        extra_rows=[("申请编号", req.number), ("答复类型", ReplyType(req.reply_type).label)],
        seal_name=department.name,
    )
    doc = seals.seal_document(
        department=department,
        kind="opengov.reply",
        reference=f"opengov.request:{req.number}",
        title=title,
        pdf=render_pdf(spec),
        actor=actor,
        via=VIA,
    )
    return doc.code


def issue_extension_notice(req: InfoRequest, *, actor: Any) -> str:
    """Render and seal the notice of the one extension (§33)."""
    department = req.department
    title = "政府信息公开延期答复告知书"
    spec = DocumentSpec(
        issuer=department.name,
        title=title,
        recipients=f"{req.requester.display_name or req.requester.get_username()}：",
        paragraphs=[
            f"您提出的政府信息公开申请（编号{req.number}）因{req.extension_reason}，"
            "不能在规定期限内答复。根据《中华人民共和国政府信息公开条例》第三十三条第二款，"
            "经本机关政府信息公开工作机构负责人同意，答复期限延长二十个工作日，"
            f"至{req.sla_deadline:%Y年%m月%d日}。",
        ],
        signer=department.name,
        date=timezone.localdate(),
        extra_rows=[("申请编号", req.number), ("延长后答复期限", req.sla_deadline.isoformat())],
        seal_name=department.name,
    )
    doc = seals.seal_document(
        department=department,
        kind="opengov.extension",
        reference=f"opengov.request:{req.number}",
        title=title,
        pdf=render_pdf(spec),
        actor=actor,
        via=VIA,
    )
    return doc.code
