from django.urls import path

from zhengtong.privacy import views

app_name = "privacy"

urlpatterns: list = [
    path("console/privacy/scanner/", views.scanner, name="scanner"),
]
