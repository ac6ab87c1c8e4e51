from django.urls import path

from zhengtong.datause import views

app_name = "datause"

urlpatterns = [
    path("datause/requests/", views.requests, name="requests"),
    path("datause/requests/new/", views.request_new, name="request_new"),
    path("datause/requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("datause/figures/", views.figures, name="figures"),
    path("datause/reuses/", views.reuses, name="reuses"),
    path("datause/reuses/new/", views.reuse_new, name="reuse_new"),
    path("datause/reuses/<int:pk>/", views.reuse_detail, name="reuse_detail"),
    path("datause/campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("datause/following/", views.followed, name="followed"),
    path("datause/datasets/<slug:name>/", views.dataset_action, name="dataset_action"),
    path("console/datause/requests/", views.requests_manage, name="requests_manage"),
    path("console/datause/requests/<int:pk>/", views.request_manage, name="request_manage"),
    path("console/datause/feedback/", views.feedback_manage, name="feedback_manage"),
    path("console/datause/reuses/", views.reuses_review, name="reuses_review"),
]
