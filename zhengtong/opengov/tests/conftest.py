from __future__ import annotations

from conftest import shared_fixture


@shared_fixture
def og(world):
    """The world plus a real-name citizen, a Xihu market-regulation disclosure officer
    (department-limited), a Xihu supervisor (approves extensions) and a Yiwu officer."""
    from zhengtong.registry import services as registry

    person = world.person(name="李四", seq=21)
    registry.citizen_verify_real_name(actor=world.citizen, resident_id=person.resident_id, name="李四")
    world.citizen.refresh_from_db()
    world.officer = world.staff("og_officer", "disclosure_officer", world.xihu, world.xihu_scjg)
    world.head = world.staff("og_head", "supervisor", world.xihu)
    world.yiwu_officer = world.staff("og_yiwu", "disclosure_officer", world.yiwu, world.yiwu_scjg)
    return world
