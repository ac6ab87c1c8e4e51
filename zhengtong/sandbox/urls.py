from django.urls import path

from zhengtong.sandbox import views

app_name = "sandbox"

urlpatterns = [
    path("sandbox/", views.home, name="home"),
    path("sandbox/review/", views.review, name="review"),
    path("sandbox/approvals/", views.review, name="approvals"),
    path("sandbox/new/", views.project_new, name="project_new"),
    path("sandbox/<int:project_id>/", views.project_detail, name="project"),
    path("sandbox/<int:project_id>/workbench/", views.workbench, name="workbench"),
    path("sandbox/jobs/<int:job_id>/", views.job_detail, name="job"),
    path("sandbox/jobs/<int:job_id>/output.csv", views.output_csv, name="output_csv"),
]
