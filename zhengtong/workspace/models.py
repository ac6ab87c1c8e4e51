"""The staff workspace (掌上办公): directory, conversations, tasks and 督办, internal approvals,
official documents (公文) out and in, and the knowledge base."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhengtong.accounts.models import Department, OrgUnit
from zhengtong.core.masking import mask_phone
from zhengtong.core.sla import SlaMixin
from zhengtong.core.workflow import WorkflowModel

USER = settings.AUTH_USER_MODEL


# --- Directory (通讯录) --------------------------------------------------------------------------


class DirectoryEntry(models.Model):
    """One staff member as the directory shows them. Kept beside the account (``directory_sync``)
    so that search over a province's staff is one indexed table: ``search_text`` holds the name,
    its full pinyin, its pinyin initials and the department's name, lower-cased."""

    class Status(models.TextChoices):
        ON_DUTY = "on_duty", _("on duty")
        TRAVEL = "travel", _("on a business trip")
        LEAVE = "leave", _("on leave")
        MEETING = "meeting", _("in a meeting")

    user = models.OneToOneField(USER, models.CASCADE, related_name="directory_entry")
    name = models.CharField(_("name"), max_length=100)
    initials = models.CharField(_("pinyin initials"), max_length=40)
    pinyin = models.CharField(_("pinyin"), max_length=200)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    org_path = models.CharField(max_length=128, db_index=True)
    department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("department")
    )
    position = models.CharField(_("position"), max_length=100, blank=True)
    duties = models.CharField(_("duties"), max_length=300, blank=True)
    office_phone = models.CharField(_("office phone"), max_length=30, blank=True)
    mobile = models.CharField(_("mobile number"), max_length=20, blank=True)
    status = models.CharField(
        pgettext_lazy("workspace", "status"), max_length=10, choices=Status.choices, default=Status.ON_DUTY
    )
    is_leader = models.BooleanField(_("leader"), default=False)
    search_text = models.CharField(max_length=600)
    # Han characters and pairs of name, department and position (pinyin.grams): on PostgreSQL a
    # GIN index over to_tsvector('simple', search_grams) finds Chinese fragments (migration 0003).
    search_grams = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["org_path", "-is_leader", "pinyin", "id"]
        indexes = [
            models.Index(fields=["org_path"], name="ws_dir_path", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["is_leader", "org_path"], name="ws_dir_leader"),
            # Prefix searches: a range on SQLite, LIKE 'x%' on PostgreSQL (pattern ops).
            models.Index(fields=["initials"], name="ws_dir_initials", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["pinyin"], name="ws_dir_pinyin", opclasses=["varchar_pattern_ops"]),
        ]
        verbose_name = _("directory entry")
        verbose_name_plural = _("directory entries")

    def __str__(self) -> str:
        return self.name

    def audit_label(self) -> str:
        return self.name

    @property
    def mobile_masked(self) -> str:
        return mask_phone(self.mobile)


# --- Conversations -----------------------------------------------------------------------------


class Conversation(models.Model):
    class Kind(models.TextChoices):
        DIRECT = "direct", _("one-to-one")
        GROUP = "group", pgettext_lazy("workspace", "group")
        DEPARTMENT = "department", _("department")
        CASE = "case", _("case")
        INCIDENT = "incident", _("incident")
        TASK = "task", _("task")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, related_name="+")
    # What the conversation is about ("case:12", "incident:7", "task:3", "department:4"), unique.
    ref = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # Two members' ids "small:large" for one-to-one conversations (one per pair).
    direct_key = models.CharField(max_length=40, null=True, blank=True, unique=True)
    # Messages are numbered 1, 2, ... per conversation: a member's read position is one number.
    last_seq = models.PositiveIntegerField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(USER, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return self.title

    @property
    def case_scoped(self) -> bool:
        return self.kind in (self.Kind.CASE, self.Kind.INCIDENT)


class Member(models.Model):
    conversation = models.ForeignKey(Conversation, models.CASCADE, related_name="members")
    user = models.ForeignKey(USER, models.CASCADE, related_name="+")
    joined_at = models.DateTimeField(auto_now_add=True)
    # Read receipts: the member has read every message with seq <= last_read_seq.
    last_read_seq = models.PositiveIntegerField(default=0)
    last_read_at = models.DateTimeField(null=True, blank=True)
    # The conversation's last_seq when the member joined: earlier messages are not theirs.
    joined_seq = models.PositiveIntegerField(default=0)
    # The last message the member was told about by Web Push: one push per unread streak
    # (a push goes only when notified_seq <= last_read_seq, i.e. nothing told is still unread).
    notified_seq = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("conversation member")
        verbose_name_plural = _("conversation members")
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="ws_member_unique")]
        indexes = [models.Index(fields=["user", "conversation"], name="ws_member_user")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.conversation_id}"


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    sender = models.ForeignKey(USER, models.PROTECT, related_name="+")
    body = models.TextField(_("message"), blank=True)
    urgent = models.BooleanField(_("urgent notice (DING)"), default=False)
    sms_after_minutes = models.PositiveIntegerField(null=True, blank=True)
    escalate_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    attachment = models.FileField(upload_to="workspace/attachments/%Y/%m/", blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    attachment_size = models.PositiveIntegerField(default=0)
    # The conversation ref an attachment came from (a case's), kept when it is forwarded.
    origin_ref = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by the delivery loop (``messages_deliver``) once the members were told after the commit
    # (Web Push, and the inbox for urgent notices); null = still to tell.
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("conversation message")
        verbose_name_plural = _("conversation messages")
        ordering = ["conversation", "seq"]
        constraints = [models.UniqueConstraint(fields=["conversation", "seq"], name="ws_message_seq")]
        indexes = [
            models.Index(fields=["urgent", "escalated_at", "escalate_at"], name="ws_msg_urgent"),
            models.Index(
                fields=["id"], name="ws_msg_undelivered", condition=models.Q(delivered_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq}"

    def audit_label(self) -> str:
        return f"{self.conversation.title} #{self.seq}"


class UrgentReceipt(models.Model):
    """Per recipient of an urgent notice: when they read it and whether the SMS went out."""

    message = models.ForeignKey(Message, models.CASCADE, related_name="receipts")
    user = models.ForeignKey(USER, models.CASCADE, related_name="+")
    read_at = models.DateTimeField(null=True, blank=True)
    sms_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("urgent-message receipt")
        verbose_name_plural = _("urgent-message receipts")
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="ws_receipt_unique")]
        indexes = [models.Index(fields=["user", "read_at"], name="ws_receipt_user_unread")]

    def __str__(self) -> str:
        return f"{self.user_id} / {self.message_id}"


# --- Tasks and 督办 ------------------------------------------------------------------------------


class Task(WorkflowModel, SlaMixin):
    """A task a leader assigns (交办) to a person or a unit (a department or an org unit), with a
    deadline in working days. A task for several units is a parent with one sub-task per unit;
    assignees add sub-tasks of their own."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey("self", models.CASCADE, null=True, blank=True, related_name="subtasks")
    # The assigner's unit: the 督办 scope of the task.
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name=_("org unit"))
    assignee = models.ForeignKey(USER, models.PROTECT, null=True, blank=True, related_name="+")
    assignee_department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("department")
    )
    assignee_unit = models.ForeignKey(OrgUnit, models.PROTECT, null=True, blank=True, related_name="+")
    due_working_days = models.PositiveSmallIntegerField(_("time limit (working days)"))
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    created_by = models.ForeignKey(USER, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    due_soon_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "sla_state"], name="ws_task_state"),
            models.Index(fields=["assignee", "state"], name="ws_task_assignee"),
            # The 督办 view's overdue and due-soon lists: read in deadline order, stop at the page.
            models.Index(fields=["sla_state", "sla_deadline", "id"], name="ws_task_sla_deadline"),
        ]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return self.title

    @property
    def assignee_label(self) -> str:
        if self.assignee_id:
            return str(self.assignee)
        if self.assignee_department_id:
            return self.assignee_department.name
        if self.assignee_unit_id:
            return self.assignee_unit.name
        return ""


class ProgressReport(models.Model):
    task = models.ForeignKey(Task, models.CASCADE, related_name="reports")
    author = models.ForeignKey(USER, models.PROTECT, related_name="+")
    text = models.TextField(_("progress"))
    percent = models.PositiveSmallIntegerField(_("progress (%)"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.task_id} {self.percent}%"


# --- Internal approvals ------------------------------------------------------------------------


class Approval(WorkflowModel):
    class Kind(models.TextChoices):
        LEAVE = "leave", _("leave")
        PROCUREMENT = "procurement", _("procurement")
        PUBLICATION = "publication", _("publication")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    details = models.TextField(_("details"), blank=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"), null=True, blank=True)
    start_date = models.DateField(_("from"), null=True, blank=True)
    end_date = models.DateField(_("to"), null=True, blank=True)
    applicant = models.ForeignKey(USER, models.PROTECT, related_name="+")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return self.title


# --- Official documents (公文) -------------------------------------------------------------------


class DocumentCounter(models.Model):
    """The last 发文字号 serial per issuer code and year: locked (SELECT ... FOR UPDATE) while a
    document takes the next number, so numbers have neither gaps nor duplicates."""

    prefix = models.CharField(max_length=40)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("document number counter")
        verbose_name_plural = _("document number counters")
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="ws_counter_unique")]

    def __str__(self) -> str:
        return f"{self.prefix}〔{self.year}〕{self.last}"


class OutgoingDocument(WorkflowModel):
    """发文, with the elements of GB/T 9704-2012: 份号, 密级, 发文机关标志, 发文字号, 签发人,
    标题, 主送机关, 正文, 附件说明, 发文机关署名, 成文日期, 印章, 抄送."""

    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, models.PROTECT, related_name="+")
    template = models.CharField(_("template"), max_length=20, default="notice")
    issuer = models.CharField(_("issuing authority (发文机关)"), max_length=100)
    number_prefix = models.CharField(_("document number prefix (机关代字)"), max_length=40)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    serial = models.PositiveIntegerField(null=True, blank=True)
    doc_number = models.CharField(_("document number (发文字号)"), max_length=60, blank=True)
    title = models.CharField(_("title"), max_length=200)
    recipients = models.CharField(_("main recipients (主送机关)"), max_length=300, blank=True)
    body = models.TextField(_("body (正文)"))
    attachments = models.TextField(_("attachments (附件说明), one per line"), blank=True)
    copy_to = models.CharField(_("copied to (抄送)"), max_length=300, blank=True)
    secrecy = models.CharField(_("secrecy (密级)"), max_length=10, blank=True)
    copy_number = models.CharField(_("copy number (份号)"), max_length=10, blank=True)
    drafted_by = models.ForeignKey(USER, models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(USER, models.PROTECT, null=True, blank=True, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    issue_date = models.DateField(_("date (成文日期)"), null=True, blank=True)
    # The seals module's public verification code of the sealed PDF, and the PDF's SHA-256.
    seal_code = models.CharField(max_length=64, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["number_prefix", "year", "serial"],
                condition=models.Q(serial__isnull=False),
                name="ws_document_number_unique",
            )
        ]
        verbose_name = _("outgoing document")
        verbose_name_plural = _("outgoing documents")

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return self.doc_number or self.title

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.splitlines() if p.strip()]

    @property
    def attachment_list(self) -> list[str]:
        return [a.strip() for a in self.attachments.splitlines() if a.strip()]


class Countersign(models.Model):
    """One 会签 of an outgoing document by another department."""

    document = models.ForeignKey(OutgoingDocument, models.CASCADE, related_name="countersigns")
    department = models.ForeignKey(Department, models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(USER, models.PROTECT, null=True, blank=True, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    opinion = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("countersignature")
        verbose_name_plural = _("countersignatures")
        constraints = [
            models.UniqueConstraint(fields=["document", "department"], name="ws_countersign_unique")
        ]

    def __str__(self) -> str:
        return f"{self.document_id} {self.department_id}"


class Distribution(models.Model):
    """An issued document sent to one recipient unit; its acknowledgement registers it there."""

    document = models.ForeignKey(OutgoingDocument, models.CASCADE, related_name="distributions")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, related_name="+")
    acknowledged_by = models.ForeignKey(USER, models.PROTECT, null=True, blank=True, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("document distribution")
        verbose_name_plural = _("document distributions")
        constraints = [
            models.UniqueConstraint(
                fields=["document", "org_unit", "department"], name="ws_distribution_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.document_id} → {self.org_unit_id}"


class IncomingDocument(WorkflowModel):
    """收文: registered (登记), proposed for handling (拟办), instructed by a leader (批办), handled
    by a department (承办) to completion."""

    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, related_name="+")
    distribution = models.OneToOneField(
        Distribution, models.PROTECT, null=True, blank=True, related_name="incoming"
    )
    sender = models.CharField(_("from"), max_length=200)
    doc_number = models.CharField(_("document number"), max_length=60, blank=True)
    title = models.CharField(_("title"), max_length=200)
    proposal = models.TextField(_("proposal (拟办意见)"), blank=True)
    instruction = models.TextField(_("instruction (批办意见)"), blank=True)
    handler_department = models.ForeignKey(
        Department, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("handled by")
    )
    result = models.TextField(_("result"), blank=True)
    registered_by = models.ForeignKey(USER, models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = _("incoming document")
        verbose_name_plural = _("incoming documents")

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return self.doc_number or self.title


# --- Knowledge base ----------------------------------------------------------------------------


class KnowledgeEntry(models.Model):
    """A shared answer, procedure or precedent. Public entries are read by anyone (the 12345
    knowledge base's answers); internal ones by staff in the owning unit's province."""

    class Kind(models.TextChoices):
        ANSWER = "answer", _("answer")
        PROCEDURE = "procedure", _("procedure")
        PRECEDENT = "precedent", _("precedent")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("public")
        INTERNAL = "internal", _("internal")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    tags = models.CharField(_("tags"), max_length=200, blank=True)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, related_name="+")
    search_text = models.TextField()
    author = models.ForeignKey(USER, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    is_archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("knowledge entry")
        verbose_name_plural = _("knowledge entries")

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return self.title


class KnowledgeLink(models.Model):
    """An entry linked from something: "task:12", "case:ZW2026...", "workorder:GD..."."""

    entry = models.ForeignKey(KnowledgeEntry, models.CASCADE, related_name="links")
    ref = models.CharField(max_length=64, db_index=True)
    created_by = models.ForeignKey(USER, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("knowledge link")
        verbose_name_plural = _("knowledge links")
        constraints = [models.UniqueConstraint(fields=["entry", "ref"], name="ws_klink_unique")]

    def __str__(self) -> str:
        return f"{self.entry_id} ← {self.ref}"


# --- Web Push ----------------------------------------------------------------------------------


class PushSubscription(models.Model):
    user = models.ForeignKey(USER, models.CASCADE, related_name="+")
    endpoint = models.URLField(max_length=500, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")

    def __str__(self) -> str:
        return f"{self.user_id} {self.endpoint[:40]}"


class LocalPush(models.Model):
    """A push the local backend delivered: the encrypted request a push service would get."""

    endpoint = models.URLField(max_length=500)
    headers = models.JSONField(default=dict)
    body_size = models.PositiveIntegerField()
    body = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("local test push")
        verbose_name_plural = _("local test pushes")

    def __str__(self) -> str:
        return f"{self.endpoint[:40]} {self.created_at}"


from zhengtong.workspace.workflows import (  # noqa: E402
    APPROVAL_FLOW,
    INCOMING_FLOW,
    OUTGOING_FLOW,
    TASK_FLOW,
)

Task.workflow = TASK_FLOW
Approval.workflow = APPROVAL_FLOW
OutgoingDocument.workflow = OUTGOING_FLOW
IncomingDocument.workflow = INCOMING_FLOW
