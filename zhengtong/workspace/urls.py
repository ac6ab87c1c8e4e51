from django.urls import path

from zhengtong.workspace import views

app_name = "workspace"

urlpatterns: list = [
    path("workspace/", views.home, name="home"),
    path("workspace/manifest.webmanifest", views.manifest, name="manifest"),
    path("workspace/icon.svg", views.icon, name="icon"),
    path("workspace/sw.js", views.service_worker, name="service_worker"),
    path("workspace/push/subscription/", views.push_subscription, name="push_subscription"),
    path("workspace/directory/", views.directory, name="directory"),
    path("workspace/directory/<int:user_id>/", views.directory_entry, name="directory_entry"),
    path("workspace/messages/", views.conversations, name="conversations"),
    path("workspace/messages/new-group/", views.group_new, name="group_new"),
    path("workspace/messages/unread.json", views.unread, name="unread"),
    path("workspace/messages/<int:pk>/", views.conversation, name="conversation"),
    path("workspace/messages/<int:pk>/export.json", views.conversation_export, name="conversation_export"),
    path("workspace/messages/receipts/<int:message_id>/", views.receipts, name="receipts"),
    path("workspace/join/<str:kind>/<int:pk>/", views.join, name="join"),
    path("workspace/tasks/", views.tasks, name="tasks"),
    path("workspace/tasks/new/", views.task_new, name="task_new"),
    path("workspace/tasks/<int:pk>/", views.task_detail, name="task"),
    path("workspace/supervision/", views.supervision, name="supervision"),
    path("workspace/approvals/", views.approvals, name="approvals"),
    path("workspace/approvals/<int:pk>/", views.approval_detail, name="approval"),
    path("workspace/documents/", views.documents, name="documents"),
    path("workspace/documents/new/", views.document_new, name="document_new"),
    path("workspace/documents/<int:pk>/", views.outgoing_detail, name="outgoing"),
    path("workspace/documents/<int:pk>/pdf/", views.outgoing_pdf, name="outgoing_pdf"),
    path("workspace/documents/received/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("workspace/incoming/<int:pk>/", views.incoming_detail, name="incoming"),
    path("knowledge/", views.knowledge, name="knowledge"),
    path("knowledge/<int:pk>/", views.knowledge_entry, name="knowledge_entry"),
    path("workspace/knowledge/new/", views.knowledge_new, name="knowledge_new"),
]
