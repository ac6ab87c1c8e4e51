"""The demo seed is deterministic and idempotent, and its two regions recognise each other."""


def test_demo_seed_twice_changes_nothing(codes):
    from zhengtong.codes import demo, services
    from zhengtong.codes.models import Issuance, RegionRisk, SubjectRecord, TrustList

    first = demo.seed()
    counts = (SubjectRecord.objects.count(), RegionRisk.objects.count(), Issuance.objects.count())
    second = demo.seed()
    assert first == second
    assert counts == (SubjectRecord.objects.count(), RegionRisk.objects.count(), Issuance.objects.count())
    assert TrustList.objects.filter(region_code="310000").exists()
    assert RegionRisk.objects.filter(level=5).exists()  # the map shows a high-risk county
    services.forget_trust_store()
    assert services.verify_code(demo.region_b_code()).valid
    assert demo.account_rows()
