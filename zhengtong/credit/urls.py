from django.urls import path

from zhengtong.credit import views

app_name = "credit"

urlpatterns: list = [
    path("credit/", views.home, name="home"),
    path("credit/entities/<str:uscc>/", views.entity, name="entity"),
    path("credit/reports/<int:pk>.pdf", views.report_pdf, name="report_pdf"),
    path("console/credit/repairs/", views.repairs, name="repairs"),
    path("console/credit/lists/", views.lists, name="lists"),
]
