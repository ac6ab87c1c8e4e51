from django.urls import path

from zhengtong.seals import views

app_name = "seals"

urlpatterns: list = [
    path("seals/verify/", views.verify, name="verify"),
    path("seals/verify/<str:code>/", views.verify_code, name="verify_code"),
    path("seals/keys.json", views.jwks, name="jwks"),
]
