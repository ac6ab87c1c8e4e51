from django.urls import path

from zhengtong.sharing import views, views_peers

app_name = "sharing"

urlpatterns = [
    path("sharing/", views.directory, name="directory"),
    path("sharing/sources/<int:profile_id>/", views.profile_detail, name="profile"),
    path("sharing/resources/<slug:name>/", views.resource_profile, name="resource_profile"),
    path("sharing/requests/", views.requests_list, name="requests"),
    path("sharing/requests/decide/", views.decide, name="decide"),
    path("sharing/requests/<int:request_id>/", views.request_detail, name="request_detail"),
    path("sharing/grants/", views.grants, name="grants"),
    path("sharing/grants/<int:grant_id>/", views.grant_detail, name="grant_detail"),
    path("sharing/peers/", views_peers.peers, name="peers"),
    path("sharing/peers/<str:installation>/", views_peers.peer_detail, name="peer_detail"),
    path("sharing/usage/", views.usage, name="usage"),
    path("sharing/open/", views.open_applications, name="open_applications"),
    path("sharing/batches/<str:receipt_id>/", views.batch_download, name="batch_download"),
    path("sharing/receipts/<str:receipt_id>.json", views.receipt, name="receipt"),
    path("sharing/objections/<int:objection_id>/", views.objection_detail, name="objection_detail"),
]
