from django.urls import path

from zhengtong.codes import views

app_name = "codes"

urlpatterns = [
    path("codes/", views.my_code, name="my_code"),
    path("codes/qr.png", views.my_code_png, name="my_code_png"),
    path("codes/rules/", views.rules, name="rules"),
    path("codes/verify/", views.verifier, name="verifier"),
    path("codes/map/", views.risk_map, name="risk_map"),
    path("codes/indices/", views.indices, name="indices"),
    path("console/codes/", views.console, name="console"),
    path("console/codes/subjects/<int:subject_id>/", views.subject, name="subject"),
    path("console/codes/appeals/<int:appeal_id>/decide", views.appeal_decide, name="appeal_decide"),
    path("console/codes/keys/rotate", views.key_rotate, name="key_rotate"),
]
