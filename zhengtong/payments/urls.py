from django.urls import path

from zhengtong.payments import views

app_name = "payments"

urlpatterns: list = [
    path("pay/provider/<str:token>/", views.provider_page, name="provider_page"),
    path("pay/<str:number>/", views.pay, name="pay"),
    path("pay/<str:number>/return/", views.pay_return, name="pay_return"),
    path("console/payments/bills/", views.bills, name="bills"),
    path("console/payments/bills/<str:number>/", views.bill_detail, name="bill"),
    path("console/payments/reconciliation/", views.reconciliation, name="reconciliation"),
]
