from django.urls import path

from zhengtong.opengov import feeds, views

app_name = "opengov"

urlpatterns: list = [
    path("opengov/", views.home, name="home"),
    path("opengov/documents/", views.documents, name="documents"),
    path("opengov/documents/feed.atom", feeds.DocumentsAtom(), name="feed_atom"),
    path("opengov/documents/feed.rss", feeds.DocumentsRss(), name="feed_rss"),
    path("opengov/documents/<int:pk>/", views.document_detail, name="document"),
    path("opengov/departments/<int:pk>/", views.department, name="department"),
    path("opengov/requests/", views.published_requests, name="published_requests"),
    path("opengov/requests/new/", views.request_new, name="request_new"),
    path("opengov/requests/mine/", views.my_requests, name="my_requests"),
    path("opengov/requests/mine/<str:number>/", views.my_request, name="my_request"),
    path("opengov/requests/<str:number>/", views.published_request, name="published_request"),
    path(
        "opengov/request-documents/<int:pk>/<str:variant>/", views.request_document, name="request_document"
    ),
    path("opengov/reports/", views.reports, name="reports"),
    path("opengov/reports/<int:pk>/", views.report, name="report"),
    path("opengov/consultations/", views.consultations, name="consultations"),
    path("opengov/consultations/<int:pk>/", views.consultation, name="consultation"),
    path("opengov/mailbox/", views.mailbox, name="mailbox"),
    path("opengov/powers/", views.powers, name="powers"),
    path("opengov/publicity/", views.publicity, name="publicity"),
    path("console/opengov/requests/", views.worklist, name="worklist"),
    path("console/opengov/requests/<str:number>/", views.staff_request, name="staff_request"),
    path("console/opengov/documents/new/", views.staff_document_new, name="staff_document_new"),
    path("console/opengov/reports/", views.staff_reports, name="staff_reports"),
    path("console/opengov/reports/<int:pk>/", views.staff_report, name="staff_report"),
    path("console/opengov/consultations/", views.staff_consultations, name="staff_consultations"),
    path("console/opengov/consultations/new/", views.staff_consultation_new, name="staff_consultation_new"),
    path("console/opengov/consultations/<int:pk>/", views.staff_consultation, name="staff_consultation"),
    path(
        "console/opengov/consultations/<int:pk>/edit/",
        views.staff_consultation_edit,
        name="staff_consultation_edit",
    ),
    path("console/opengov/powers/", views.staff_powers, name="staff_powers"),
    path("console/opengov/guide/", views.staff_guide, name="staff_guide"),
    path(
        "console/opengov/documents/<int:pk>/validity/",
        views.staff_document_validity,
        name="staff_document_validity",
    ),
    path("console/opengov/powers/new/", views.staff_power_new, name="staff_power_new"),
    path("console/opengov/powers/<int:pk>/", views.staff_power, name="staff_power"),
]
