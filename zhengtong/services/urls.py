from django.urls import path

from zhengtong.services import rating_views, views, views_onestop, views_rules, views_wallet

app_name = "services"

urlpatterns = [
    path("services/", views.catalogue, name="catalogue"),
    path("services/items/<str:code>/", views.item_detail, name="item"),
    path("services/items/<str:code>/apply/", views.apply, name="apply"),
    path("services/track/", views.track, name="track"),
    path("services/my/", views.my_cases, name="my_cases"),
    path("services/my/<int:pk>/", views.my_case, name="my_case"),
    path("services/cases/<int:pk>/notices/<str:code>.pdf", views.case_notice, name="case_notice"),
    path("services/bundles/<str:code>/", views.bundle_detail, name="bundle"),
    path("services/my/bundles/<int:pk>/", views.bundle_status, name="bundle_status"),
    path("services/ratings/", rating_views.ratings, name="ratings"),
    path("services/rate/<str:token>/", rating_views.rate_link, name="rate_link"),
    path("services/console/", views.worklist, name="worklist"),
    path("services/console/cases/<int:pk>/", views.staff_case, name="staff_case"),
    path("services/console/ratings/", rating_views.staff_ratings, name="staff_ratings"),
    # Counter intake (帮办代办), 告知承诺制, 跨省通办 (views_onestop).
    path("services/commitments/", views_onestop.commitment_list, name="commitments"),
    path("services/my/proxies/", views_onestop.proxies, name="proxies"),
    path("services/console/counter/", views_onestop.counter, name="counter"),
    path("services/console/counter/<int:pk>/", views_onestop.counter_done, name="counter_done"),
    path("services/console/checks/", views_onestop.checks, name="checks"),
    path("services/console/rules/", views_rules.rules, name="rules"),
    path("services/console/rules/<str:code>/", views_rules.rule_detail, name="rule_detail"),
    path("services/console/benefits/", views_rules.benefits, name="benefits_staff"),
    path("services/console/benefits/<str:code>/", views_rules.benefit_detail, name="benefit_staff"),
    path("services/console/transfers/", views_onestop.transfers, name="transfers"),
    path("services/console/transfers/receive/", views_onestop.transfer_receive, name="transfer_receive"),
    # 卡包, 亮证, consented use, 免申即享 (views_wallet)
    path("services/wallet/", views_wallet.wallet_page, name="wallet"),
    path("services/wallet/<int:pk>/show/", views_wallet.wallet_show, name="wallet_show"),
    path("services/wallet/<int:pk>/file.pdf", views_wallet.wallet_file, name="wallet_file"),
    path("services/licences/verify/", views_wallet.licence_verify, name="licence_verify"),
    path("services/licences/use/<str:key>/", views_wallet.licence_use, name="licence_use"),
    path("services/licences/use/<str:key>/file.pdf", views_wallet.licence_use_file, name="licence_use_file"),
    path("services/benefits/", views_wallet.benefits, name="benefits"),
]
