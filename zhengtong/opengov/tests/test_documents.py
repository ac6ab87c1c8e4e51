"""Proactive disclosure: metadata, validity (replaced and repealed stay findable), Chinese
full-text search, permissions."""

from __future__ import annotations

import datetime as dt

import pytest

from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.opengov import search, selectors, services
from zhengtong.opengov.models import Document

pytestmark = pytest.mark.django_db


def _doc(og, title, body, **kw):
    return services.document_publish(
        actor=og.officer,
        department=og.xihu_scjg,
        category=kw.pop("category", "policy"),
        title=title,
        body=body,
        issuing_body="杭州市西湖区市场监督管理局",
        issued_on=kw.pop("issued_on", dt.date(2026, 3, 1)),
        doc_number=kw.pop("doc_number", ""),
        **kw,
    )


def test_terms_are_bigrams_and_words():
    assert search.terms("政府信息 GB2026") == [
        f"c{ord('政'):x}{ord('府'):x}",
        f"c{ord('府'):x}{ord('信'):x}",
        f"c{ord('信'):x}{ord('息'):x}",
        "wgb2026",
    ]
    assert search.terms("食") == [f"u{ord('食'):x}"]


def test_search_finds_substrings_ranked_title_first(og):
    a = _doc(og, "关于规范食品经营许可的通知", "各市场主体：为规范管理……", doc_number="西市监〔2026〕3号")
    b = _doc(og, "西湖区2026年工作要点", "全年将推进食品经营许可改革，优化营商环境。")
    _doc(og, "关于开展燃气安全检查的通知", "各街道：开展燃气安全大检查。")
    ids = [d.pk for d in selectors.documents_search("食品经营许可")]
    assert ids == [a.pk, b.pk]
    assert [d.pk for d in selectors.documents_search("营许")] == [a.pk, b.pk]
    # Not a substring: 品食 never occurs.
    assert selectors.documents_search("品食") == []
    # The document number is searchable.
    assert [d.pk for d in selectors.documents_search("2026〕3号")] == [a.pk]
    # Filters apply inside the search.
    assert selectors.documents_search("食品", filters={"category": "plan"}) == []


def test_ranking_covers_every_match_and_pages_across_the_tiers(og):
    """The oldest document is the only one with the words in its title: it ranks first however
    many newer documents hold them in their text (no window of newest matches); then the text
    matches, newest first; paging is exact across the two tiers."""
    about = _doc(og, "农贸市场改造实施方案", "为改善购物环境……")
    texts = [_doc(og, f"第{i}号工作通报", f"本周督查了{i}个点位，推进农贸市场改造。") for i in range(25)]
    _doc(og, "无关的通知", "燃气安全检查。")
    expected = [about.pk] + [d.pk for d in reversed(texts)]
    assert [d.pk for d in selectors.documents_search("农贸市场改造", limit=20)] == expected[:20]
    assert [d.pk for d in selectors.documents_search("农贸市场改造", limit=20, offset=20)] == expected[20:]
    assert [d.pk for d in selectors.documents_search("贸市", limit=3, offset=1)] == expected[1:4]
    assert selectors.documents_search("农贸市场改造", limit=20, offset=26) == []
    # A filter applies within both tiers.
    assert [d.pk for d in selectors.documents_search("农贸", filters={"category": "plan"})] == []


def test_replaced_document_stays_findable_with_its_status(og):
    old = _doc(og, "西湖区食品摊贩管理办法", "第一条 为规范食品摊贩……")
    new = _doc(og, "西湖区食品摊贩管理办法（修订）", "第一条 为进一步规范……", replaces=old)
    old.refresh_from_db()
    assert old.validity == "replaced" and old.replaced_by_id == new.pk
    found = {d.pk: d.validity for d in selectors.documents_search("食品摊贩")}
    assert found == {old.pk: "replaced", new.pk: "valid"}
    services.document_set_validity(actor=og.officer, document=new, validity="repealed")
    assert {d.pk: d.validity for d in selectors.documents_search("摊贩管理")} == {
        old.pk: "replaced",
        new.pk: "repealed",
    }


def test_publish_refused_outside_department_and_nothing_changes(og):
    with pytest.raises(PermissionDenied):
        services.document_publish(
            actor=og.yiwu_officer,
            department=og.xihu_scjg,
            category="policy",
            title="越权",
            body="正文",
            issuing_body="x",
            issued_on="2026-01-01",
        )
    assert Document.objects.count() == 0
    assert selectors.documents_search("越权") == []


def test_bad_metadata_is_refused(og):
    with pytest.raises(ValidationError) as exc:
        _doc(og, "标题", "正文", category="nonsense")
    assert "category" in exc.value.details["fields"]
    with pytest.raises(ValidationError) as exc:
        _doc(og, "标题", "正文", issued_on="2026-13-01")
    assert "issued_on" in exc.value.details["fields"]
    assert Document.objects.count() == 0
