from django.urls import path

from zhengtong.supervision import views

app_name = "supervision"

urlpatterns: list = [
    path("supervision/plans/", views.public_plans, name="public_plans"),
    path("supervision/plans/<str:number>/", views.public_plan, name="public_plan"),
    path("supervision/photos/<int:pk>/", views.public_photo, name="public_photo"),
    path("supervision/entities/<str:uscc>/", views.public_entity, name="public_entity"),
    path("console/supervision/", views.plans, name="plans"),
    path("console/supervision/plans/<str:number>/", views.plan_detail, name="plan"),
    path("console/supervision/inspections/", views.my_inspections, name="my_inspections"),
    path("console/supervision/inspections/<int:pk>/", views.inspection, name="inspection"),
    path(
        "console/supervision/inspections/<int:pk>/signatures/<str:signer>.png",
        views.inspection_signature,
        name="inspection_signature",
    ),
    path("console/supervision/platforms/", views.platforms, name="platforms"),
    path("console/supervision/penalties/<int:pk>/", views.penalty, name="penalty"),
    path("console/supervision/entities/<str:uscc>/", views.entity, name="entity"),
    path("console/supervision/items/", views.items, name="items"),
    path("console/supervision/officers/", views.officers, name="officers"),
    path("console/supervision/targeted/", views.targeted, name="targeted"),
]
