"""The staff console's navigation (issue 15: 23 tabs): grouped by domain, by role, the current
page's group open on a second level."""

from __future__ import annotations

import re

import pytest

from zhengtong.core import nav
from zhengtong.portal.nav import console_groups

pytestmark = pytest.mark.django_db


def _first_level(html: str) -> list[str]:
    block = re.search(r'<ul class="nav-groups">(.*?)</ul>', html, re.S).group(1)
    return re.findall(r">([^<>]+)</a>", block)


def test_an_administrator_sees_seven_groups_not_twenty_three_tabs(world, client):
    admin = world.staff("nav_admin", "platform_admin", world.province)
    groups = console_groups(admin, "/console/")
    assert [g["key"] for g in groups] == [k for k, _label in nav.CONSOLE_GROUPS]
    assert sum(len(g["items"]) for g in groups) >= 23
    assert not any(g["current"] for g in groups)
    client.force_login(admin)
    html = client.get("/console/").content.decode()
    assert len(_first_level(html)) == 1 + len(nav.CONSOLE_GROUPS)  # 概览 and seven domains
    assert 'class="nav-items"' not in html  # no second level on the overview


def test_the_current_pages_group_opens_and_marks_the_page(world, client):
    admin = world.staff("nav_admin2", "platform_admin", world.xihu)
    client.force_login(admin)
    html = client.get("/grid/incidents/").content.decode()
    assert 'aria-current="true" class="current-group"' in html
    second = re.search(r'<ul class="nav-items"[^>]*>(.*?)</ul>', html, re.S).group(1)
    assert 'href="/grid/incidents/" aria-current="page"' in second
    assert "/grid/command/" in second
    assert "/catalog/" not in second  # other domains stay on the first level


def test_groups_follow_the_role(world):
    counter = world.staff("nav_counter", "counter_staff", world.xihu, world.xihu_scjg)
    keys = [g["key"] for g in console_groups(counter, "/console/")]
    # counter staff: their registry, cases and hotline; no grid, data, supervision or system pages
    assert "registry" in keys and "services" in keys
    assert not {"grid", "supervision", "system"} & set(keys)
    items = [i["url"] for g in console_groups(counter, "/console/") for i in g["items"]]
    assert "/grid/command/" not in items and "/audit/" not in " ".join(items)
    assert console_groups(world.citizen, "/console/") == []


def test_every_console_entry_has_a_known_group():
    groups = dict(nav.CONSOLE_GROUPS)
    for item in nav.nav_items("console"):
        assert item.group in groups, item.url_name
    with pytest.raises(ValueError):
        nav.register_nav("console", "x:y", "x", group="nope")
