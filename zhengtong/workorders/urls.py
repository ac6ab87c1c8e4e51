from django.urls import path

from zhengtong.workorders import views, views_hotline

app_name = "workorders"

urlpatterns: list = [
    path("workorders/mine/", views.mine, name="mine"),
    path("workorders/new/", views.submit, name="submit"),
    path("workorders/mine/<str:number>/", views.mine_detail, name="mine_detail"),
    path("workorders/answers/", views_hotline.answers, name="answers"),
    path("console/workorders/", views.worklist, name="worklist"),
    path("console/workorders/call/", views_hotline.call, name="call"),
    path("console/workorders/analysis/", views_hotline.analysis, name="analysis"),
    path("console/workorders/routing/", views.routing, name="routing"),
    path("console/workorders/categories/", views.categories, name="categories"),
    path("console/workorders/<str:number>/", views.detail, name="detail"),
]
