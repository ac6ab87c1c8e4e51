from __future__ import annotations

from conftest import shared_fixture


@shared_fixture
def ws(world):
    """The world plus a workspace: a Xihu county leader (区长), a second township (西溪街道) with
    its head, Beishan's head and a Beishan clerk, office clerks and department heads of Xihu's
    market regulation and public security bureaus, a Yiwu clerk, and the directory refreshed."""
    from zhengtong.accounts.services import org_unit_create
    from zhengtong.workspace import services

    acc = world.acc
    world.xixi = org_unit_create(
        actor=None, code="330106011", name="西溪街道", level="township", parent=world.xihu
    )
    world.beishan_office = acc.department_create(
        actor=world.system, org_unit=world.beishan, code="bgs", name="北山街道党政办"
    )

    def person(username, name, role, unit, dept=None, phone=""):
        user = world.staff(username, role, unit, dept)
        user.display_name, user.phone = name, phone
        user.save(update_fields=["display_name", "phone"])
        return user

    world.leader = person("xihu_leader", "王建国", "leader", world.xihu, phone="13900000001")
    world.beishan_head = person("beishan_head", "李小明", "leader", world.beishan, phone="13900000002")
    world.xixi_head = person("xixi_head", "张伟", "leader", world.xixi, phone="13900000003")
    world.beishan_clerk = person(
        "beishan_clerk", "赵敏", "office_clerk", world.beishan, world.beishan_office, phone="13900000004"
    )
    world.scjg_clerk = person(
        "scjg_clerk", "周芳", "office_clerk", world.xihu, world.xihu_scjg, "13900000005"
    )
    world.scjg_head = person(
        "scjg_head", "吴刚", "department_head", world.xihu, world.xihu_scjg, "13900000006"
    )
    world.gaj_head = person("gaj_head", "郑强", "department_head", world.xihu, world.xihu_gaj, "13900000007")
    world.gaj_clerk = person("gaj_clerk", "孙丽", "office_clerk", world.xihu, world.xihu_gaj, "13900000008")
    world.yiwu_staff = person(
        "yiwu_staff", "陈静", "office_clerk", world.yiwu, world.yiwu_scjg, "13900000009"
    )
    world.province_leader = person("province_leader", "刘省", "leader", world.province, phone="13900000010")
    services.directory_refresh()
    return world
