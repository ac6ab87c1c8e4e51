from django.urls import path

from zhengtong.cockpit import views

app_name = "cockpit"

urlpatterns = [
    path("cockpit/", views.home, name="home"),
    path("cockpit/methodology/", views.methodology, name="methodology"),
    path("cockpit/open-data-index/", views.open_data_index, name="open_data_index"),
    path("cockpit/alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("cockpit/feeds/", views.feed_list, name="feeds"),
    path("cockpit/feeds/<slug:feed_code>/", views.feed_detail, name="feed"),
    path("cockpit/evaluations/<int:evaluation_id>/", views.evaluation_detail, name="evaluation"),
    path("cockpit/<str:code>/", views.unit, name="unit"),
    path("cockpit/<str:code>/wall/", views.wall, name="wall"),
    path("cockpit/<str:code>/records/", views.records, name="records"),
    path("cockpit/<str:code>/export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("cockpit/<str:code>/briefing.pdf", views.export_pdf, name="export_pdf"),
    path("cockpit/<str:code>/evaluate/", views.evaluate, name="evaluate"),
]
