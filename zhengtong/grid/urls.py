from django.urls import path, re_path

from zhengtong.grid import open311, views

app_name = "grid"

FMT = r"(?P<fmt>json|xml)"

urlpatterns = [
    # Open311 GeoReport v2 (first: the hot API path resolves without trying the pages)
    re_path(rf"^open311/discovery\.{FMT}$", open311.discovery, name="open311_discovery"),
    re_path(rf"^open311/v2/services\.{FMT}$", open311.services_list, name="open311_services"),
    re_path(
        rf"^open311/v2/services/(?P<code>[-\w]+)\.{FMT}$", open311.service_definition, name="open311_service"
    ),
    re_path(rf"^open311/v2/requests\.{FMT}$", open311.requests_view, name="open311_requests"),
    re_path(
        rf"^open311/v2/requests/(?P<request_id>[^/.]+)\.{FMT}$",
        open311.request_detail,
        name="open311_request",
    ),
    re_path(rf"^open311/v2/tokens/(?P<token>[^/.]+)\.{FMT}$", open311.token_detail, name="open311_token"),
    path("grid/", views.workbench, name="workbench"),
    path("grid/report/", views.report, name="report"),
    path("grid/nearby/", views.nearby, name="nearby"),
    path("grid/patrol/", views.patrol_check_in, name="patrol"),
    path("grid/incidents/", views.incidents, name="incidents"),
    path("grid/incidents/<int:incident_id>/", views.incident_detail, name="incident_detail"),
    path("grid/command/", views.command_room, name="command_room"),
    path("grid/command/map.json", views.command_map, name="command_map"),
    path("grid/command/dispatch/<int:incident_id>/", views.command_dispatch, name="command_dispatch"),
    path("grid/cells/", views.cells, name="cells"),
    path("grid/cells.geojson", views.cells_geojson, name="cells_geojson"),
    path("grid/keys/", views.keys, name="keys"),
    path("grid/reports/", views.reports_index, name="reports"),
    path("grid/reports/<slug:code>/", views.report_run, name="report_run"),
    re_path(
        r"^grid/reports/(?P<code>[-\w]+)/export\.(?P<fmt>csv|xlsx)$",
        views.report_export,
        name="report_export",
    ),
    path("grid/photos/<uuid:token>/", views.photo_public, name="photo"),
    path("grid/photos/<uuid:token>/original/", views.photo_original, name="photo_original"),
    # The old sequential addresses: 404 (photos are addressed by their random token only).
    path("grid/photos/<int:photo_id>/", views.photo_by_id_gone),
    path("grid/photos/<int:photo_id>/original/", views.photo_by_id_gone),
    path("grid/stats.csv", views.stats_csv, name="stats_csv"),
]
