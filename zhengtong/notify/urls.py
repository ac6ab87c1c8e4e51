from django.urls import path

from zhengtong.notify import views

app_name = "notify"

urlpatterns: list = [
    path("messages/", views.inbox, name="inbox"),
]
