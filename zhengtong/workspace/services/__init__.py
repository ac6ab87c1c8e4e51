"""Writes of the workspace, one module per use case:

- ``directory``: the directory entries kept beside the accounts;
- ``conversations``: conversations, messages, read receipts, urgent notices and their SMS;
- ``delivery``: telling members about new messages after the commit, in bulk (the worker's loop);
- ``assignments``: tasks (交办), progress, escalation (督办);
- ``approvals``: internal approval requests;
- ``documents``: outgoing (发文) and incoming (收文) official documents;
- ``knowledge``: the knowledge base;
- ``retention``: purging informal conversations by policy, exporting a conversation;
- ``push``: Web Push subscriptions and notify's ``push`` channel.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from zhengtong.audit import actions as audit_actions
from zhengtong.workspace.services.approvals import approval_decide, approval_submit, approval_withdraw
from zhengtong.workspace.services.assignments import (
    escalate_overdue,
    notify_due_soon,
    task_accept,
    task_assign,
    task_cancel,
    task_complete,
    task_get,
    task_report_progress,
    task_return,
    task_start,
)
from zhengtong.workspace.services.conversations import (
    conversation_direct,
    conversation_for_case,
    conversation_for_department,
    conversation_for_incident,
    conversation_for_task,
    conversation_group_create,
    conversation_read,
    message_forward,
    message_post,
    message_send,
    urgent_escalate,
)
from zhengtong.workspace.services.delivery import messages_deliver
from zhengtong.workspace.services.directory import directory_entry_update, directory_refresh
from zhengtong.workspace.services.documents import (
    TEMPLATES,
    distribution_acknowledge,
    document_countersign,
    document_draft,
    document_file,
    document_issue,
    document_number,
    document_return,
    document_route,
    document_sign,
    document_update,
    incoming_assign,
    incoming_complete,
    incoming_instruct,
    incoming_propose,
    incoming_register,
)
from zhengtong.workspace.services.knowledge import (
    knowledge_entry_create,
    knowledge_entry_update,
    knowledge_link,
)
from zhengtong.workspace.services.push import push_configured, push_subscribe, push_unsubscribe, vapid_keys
from zhengtong.workspace.services.retention import conversation_export, messages_purge_expired

audit_actions.register(
    {
        "workspace.refused": gettext_lazy("Workspace action refused"),
        "workspace.directory.refresh": gettext_lazy("Refresh the staff directory"),
        "workspace.directory.update": gettext_lazy("Change a directory entry"),
        "workspace.conversation.create": gettext_lazy("Start a conversation"),
        "workspace.message.urgent": gettext_lazy("Send an urgent notice"),
        "workspace.message.escalate": gettext_lazy("Send an unread urgent notice by SMS"),
        "workspace.task.progress": gettext_lazy("Report task progress"),
        "workspace.task.escalate": gettext_lazy("Escalate overdue tasks"),
        "workspace.outgoing.update": gettext_lazy("Edit a draft document"),
        "workspace.outgoing.countersign": gettext_lazy("Countersign a document (会签)"),
        "workspace.outgoing.distribute": gettext_lazy("Distribute a document"),
        "workspace.outgoing.seal": gettext_lazy("Seal a document"),
        "workspace.knowledge.create": gettext_lazy("Write a knowledge entry"),
        "workspace.knowledge.update": gettext_lazy("Change a knowledge entry"),
        "workspace.knowledge.link": gettext_lazy("Link a knowledge entry"),
        "workspace.push.subscribe": gettext_lazy("Subscribe a device to push notifications"),
        "workspace.message.purge": gettext_lazy("Delete messages past their retention period"),
        "workspace.conversation.export": gettext_lazy("Export a conversation"),
    }
)

__all__ = [
    "TEMPLATES",
    "approval_decide",
    "approval_submit",
    "approval_withdraw",
    "conversation_direct",
    "conversation_export",
    "conversation_for_case",
    "conversation_for_department",
    "conversation_for_incident",
    "conversation_for_task",
    "conversation_group_create",
    "conversation_read",
    "directory_entry_update",
    "directory_refresh",
    "distribution_acknowledge",
    "document_countersign",
    "document_draft",
    "document_file",
    "document_issue",
    "document_number",
    "document_return",
    "document_route",
    "document_sign",
    "document_update",
    "escalate_overdue",
    "incoming_assign",
    "incoming_complete",
    "incoming_instruct",
    "incoming_propose",
    "incoming_register",
    "knowledge_entry_create",
    "knowledge_entry_update",
    "knowledge_link",
    "message_forward",
    "message_post",
    "message_send",
    "messages_deliver",
    "messages_purge_expired",
    "notify_due_soon",
    "push_configured",
    "push_subscribe",
    "push_unsubscribe",
    "task_accept",
    "task_assign",
    "task_cancel",
    "task_complete",
    "task_get",
    "task_report_progress",
    "task_return",
    "task_start",
    "urgent_escalate",
    "vapid_keys",
]
