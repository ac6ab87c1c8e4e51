"""The demo's second installation (跨地域): a small 安徽省 installation that `make run` serves beside
the Zhejiang demo, so requests, approvals, verification calls and receipts cross a real boundary
between two processes with their own databases, secrets and signing keys.

It holds 安徽省 → 合肥市 → 蜀山区, the departments that own and oversee the population registry,
60 registered residents of 蜀山区, the registry's sharing attributes (conditional sharing;
verification and interface; the phone number not shared) and three staff accounts. Deterministic
(fixed seed) and idempotent, created through the service functions like the main demo."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts import services as account_services
from zhengtong.accounts.kinds import UserKind
from zhengtong.core.identifiers import generate_resident_id
from zhengtong.registry import selectors as registry_selectors
from zhengtong.registry import services as registry_services
from zhengtong.registry.demo import demo_account
from zhengtong.sharing import services
from zhengtong.sharing.models import SharingProfile

SEED = 20261203
PROVINCE, CITY, COUNTY = "340000", "340100", "340104"
PERSONS = 60
TREE = {
    "code": PROVINCE,
    "name": "安徽省",
    "name_en": "Anhui Province",
    "level": "province",
    "children": [
        {
            "code": CITY,
            "name": "合肥市",
            "name_en": "Hefei City",
            "level": "city",
            "children": [
                {"code": COUNTY, "name": "蜀山区", "name_en": "Shushan District", "level": "county"},
                {"code": "340111", "name": "包河区", "name_en": "Baohe District", "level": "county"},
            ],
        }
    ],
}
DEPARTMENTS = [
    # org unit, code, Chinese suffix, English, kind
    (PROVINCE, "dsj", "数据资源管理局", "Data Resources Administration", "big_data"),
    (COUNTY, "gaj", "公安分局", "Public Security Sub-bureau", "public_security"),
    (COUNTY, "sjzy", "数据资源局", "Data Resources Bureau", "big_data"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞志宏文辉"
STREETS = ["长江西路", "黄山路", "潜山路", "望江西路", "井岗路", "稻香路"]


@dataclass(frozen=True)
class PeerAccount:
    username: str
    kind: str
    display_name: str
    roles: tuple[str, ...]
    scope: str
    department: str | None
    note: str


ACCOUNTS = [
    PeerAccount(
        "admin",
        UserKind.ADMIN,
        "平台管理员",
        ("platform_admin",),
        PROVINCE,
        None,
        "platform administrator of the 安徽省 installation",
    ),
    PeerAccount(
        "ah_clerk",
        UserKind.STAFF,
        "蜀山区户籍员",
        ("registry_clerk", "sharing_admin"),
        COUNTY,
        "gaj",
        "owner of 蜀山区's population registry: approves other installations' requests",
    ),
    PeerAccount(
        "ah_data_officer",
        UserKind.STAFF,
        "安徽省数据安全官",
        ("data_officer",),
        PROVINCE,
        "dsj",
        "data security officer: the second approval of L3 requests",
    ),
]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


@transaction.atomic
def seed(stdout=None) -> dict[str, int]:
    say = stdout.write if stdout else (lambda *_: None)
    rng = random.Random(SEED)
    account_services.org_units_load_tree(actor=None, tree=TREE)
    actor = account_services.system_actor()
    for unit_code, code, suffix, english, kind in DEPARTMENTS:
        unit = account_selectors.org_unit_by_code(unit_code)
        if account_selectors.department_by_code(unit_code, code) is None:
            account_services.department_create(
                actor=actor,
                org_unit=unit,
                code=code,
                name=f"{unit.name}{suffix}",
                name_en=f"{unit.name_en} {english}",
                kind=kind,
            )
    county = account_selectors.org_unit_by_code(COUNTY)
    for seq in range(1, PERSONS + 1):
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 55))
        resident_id = generate_resident_id(COUNTY, birth, (seq * 7) % 1000)
        name = _name(rng)
        phone = (
            rng.choice(["139", "138", "187", "158", "136", "189", "177", "133"])
            + f"{rng.randrange(10**8):08d}"
        )
        street, number = rng.choice(STREETS), rng.randrange(1, 300)
        if registry_selectors.person_with_resident_id(resident_id) is not None:
            continue
        registry_services.person_create(
            actor=actor,
            org_unit=county,
            resident_id=resident_id,
            name=name,
            phone=phone,
            ethnicity="汉族",
            address=f"合肥市蜀山区{street}{number}号",
        )
    for acc in ACCOUNTS:
        demo_account(
            actor,
            username=acc.username,
            kind=acc.kind,
            display_name=acc.display_name,
            scope=acc.scope,
            department=acc.department,
            roles=list(acc.roles),
        )
    clerk = account_selectors.user_with_username("ah_clerk")
    gaj = account_selectors.department_by_code(COUNTY, "gaj")
    if not SharingProfile.objects.filter(registry="person", org_unit=county).exists():
        services.profile_set(
            actor=clerk,
            registry="person",
            org_unit=county,
            department=gaj,
            sharing_type="conditional",
            fields={"phone": {"shareable": False}},
            modes=["verification", "interface"],
        )
    counts = {"peer_org_units": account_selectors.org_unit_count(), "peer_persons": PERSONS}
    say(f"second installation (安徽省): {counts}")
    return counts


def account_rows() -> list[tuple[str, str, str, str]]:
    rows = []
    for acc in ACCOUNTS:
        unit = account_selectors.org_unit_by_code(acc.scope)
        rows.append(
            (acc.username, ", ".join(acc.roles), f"{unit.name} {acc.scope}" if unit else acc.scope, acc.note)
        )
    return rows
