from django.urls import path

from zhengtong.catalog import views

app_name = "catalog"

urlpatterns = [
    # The open-data portal (public).
    path("opendata/", views.portal, name="portal"),
    path("opendata/catalog.csv", views.catalogue_dump, name="dump"),
    path("opendata/apis/", views.dataservices, name="dataservices"),
    path("opendata/apis/<slug:name>/", views.dataservice, name="dataservice"),
    path("opendata/my/", views.my_data, name="my_data"),
    path("opendata/my/keys/<int:pk>/revoke", views.key_revoke, name="key_revoke"),
    path("opendata/departments/<int:pk>/", views.department, name="department"),
    path("opendata/<slug:name>/", views.dataset, name="dataset"),
    path("opendata/<slug:name>/download.<str:fmt>", views.download, name="download"),
    path("opendata/<slug:name>/apply", views.apply, name="apply"),
    path("opendata/<slug:name>/dictionary.csv", views.dictionary, name="dictionary"),
    path("opendata/<slug:name>/points.geojson", views.geojson, name="geojson"),
    path("opendata/<slug:name>/documents/<int:pk>/<str:filename>", views.document, name="document"),
    # The publishers' and data security officers' console.
    path("console/data/", views.my_resources, name="my_resources"),
    path("console/data/new", views.resource_new, name="resource_new"),
    path("console/data/review/", views.review_queue, name="review_queue"),
    path("console/data/harvest/", views.harvest, name="harvest"),
    path("console/data/apis/new", views.dataservice_new, name="dataservice_new"),
    path("console/data/applications/", views.applications, name="applications"),
    path("console/data/applications/<int:pk>/decide", views.application_decide, name="application_decide"),
    path("console/data/loads/<int:pk>/", views.load_status, name="load_status"),
    path("console/data/<slug:name>/", views.resource_manage, name="resource_manage"),
    path("console/data/<slug:name>/edit", views.resource_edit, name="resource_edit"),
    path("console/data/<slug:name>/upload", views.upload, name="upload"),
    path("console/data/<slug:name>/fields", views.fields, name="fields"),
    path("console/data/<slug:name>/field-titles", views.field_titles, name="field_titles"),
    path("console/data/<slug:name>/documents", views.document_add, name="document_add"),
    path("console/data/<slug:name>/api-links", views.api_link_add, name="api_link_add"),
    path(
        "console/data/<slug:name>/attachments/<int:pk>/remove",
        views.attachment_remove,
        name="attachment_remove",
    ),
    path("console/data/<slug:name>/transition", views.transition, name="transition"),
]
