"""The directory: search in Chinese and pinyin, scope, private numbers."""

from __future__ import annotations

import pytest

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import PermissionDenied
from zhengtong.workspace import selectors, services
from zhengtong.workspace.models import DirectoryEntry
from zhengtong.workspace.services import directory


def names(entries):
    return sorted(e.name for e in entries)


def test_search_by_name_initials_pinyin_and_department(ws):
    clerk = ws.beishan_clerk
    assert names(selectors.directory_search(clerk, q="小明")) == ["李小明"]
    assert names(selectors.directory_search(clerk, q="lxm")) == ["李小明"]
    assert names(selectors.directory_search(clerk, q="LXM")) == ["李小明"]  # case and width folded
    assert names(selectors.directory_search(clerk, q="lixiao")) == ["李小明"]
    assert names(selectors.directory_search(clerk, q="市场监督")) == ["吴刚", "周芳"]


def test_township_clerk_sees_their_county_and_the_leaders_above_not_other_counties(ws):
    seen = names(selectors.directory_search(ws.beishan_clerk, limit=100))
    assert "张伟" in seen  # another township of the same county
    assert "王建国" in seen  # the county's leader
    assert "刘省" in seen  # a leader above the county
    assert "陈静" not in seen  # Yiwu: another county
    yiwu = names(selectors.directory_search(ws.yiwu_staff, limit=100))
    assert "陈静" in yiwu and "李小明" not in yiwu and "刘省" in yiwu


def test_private_numbers_masked_outside_own_unit(ws):
    by_name = {e.name: e for e in selectors.directory_search(ws.beishan_clerk, limit=100)}
    assert by_name["李小明"].mobile_shown == "13900000002"  # same township
    assert by_name["张伟"].mobile_shown != "13900000003"
    assert by_name["张伟"].mobile_shown.startswith("139") and "*" in by_name["张伟"].mobile_shown
    # the county leader holds workspace.view_private_numbers over the county
    leader_view = {e.name: e for e in selectors.directory_search(ws.leader, limit=100)}
    assert leader_view["张伟"].mobile_shown == "13900000003"


def test_entry_update_self_or_manager_only(ws):
    entry = DirectoryEntry.objects.get(user=ws.xixi_head)
    services.directory_entry_update(actor=ws.xixi_head, entry=entry, position="街道主任", status="meeting")
    entry.refresh_from_db()
    assert (entry.position, entry.status) == ("街道主任", "meeting")
    events = AuditEvent.objects.filter(action="workspace.directory.update").count()
    with pytest.raises(PermissionDenied):
        services.directory_entry_update(actor=ws.beishan_clerk, entry=entry, position="别人改的")
    entry.refresh_from_db()
    assert entry.position == "街道主任"
    assert AuditEvent.objects.filter(action="workspace.directory.update").count() == events


def test_refresh_in_chunks_matches_one_pass(ws, monkeypatch):
    """A province's staff exceed one statement's parameters: the refresh works in chunks and
    gives the same entries."""
    before = {e.user_id: (e.name, e.initials, e.is_leader, e.org_path) for e in DirectoryEntry.objects.all()}
    DirectoryEntry.objects.all().delete()
    monkeypatch.setattr(directory, "CHUNK", 2)
    assert services.directory_refresh() == len(before)
    after = {e.user_id: (e.name, e.initials, e.is_leader, e.org_path) for e in DirectoryEntry.objects.all()}
    assert after == before
    assert after[ws.leader.pk][2] is True and after[ws.beishan_clerk.pk][2] is False


def test_grams_prefilter_keeps_every_entry_that_contains_the_query():
    """PostgreSQL's index prefilter must never drop a real match: every Han fragment of a name,
    department or position asks only for terms that the entry's grams hold."""
    from zhengtong.workspace.pinyin import grams, grams_query

    for text in ("王建国 西湖区市场监督管理局 科长", "李小明", "欧阳娜娜 北山街道党政办"):
        held = set(grams(text).split())
        han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
        for i in range(len(text)):
            for j in range(i + 1, min(len(text), i + 6) + 1):
                fragment = text[i:j]
                query = grams_query(fragment)
                if not any(c in han for c in fragment):
                    assert query == ""
                    continue
                assert set(query.split(" & ")) <= held, (fragment, query)
    assert grams_query("王伟") != grams_query("伟王")
    assert grams_query("lxm") == ""
