from __future__ import annotations

from conftest import shared_fixture


@shared_fixture
def ww(world):
    """The world plus work-order staff: a Xihu market-regulation handler (department-limited),
    a Xihu public-security handler, a Xihu supervisor, a Beishan command-room dispatcher,
    a Yiwu handler, and routing rules."""
    from zhengtong.accounts.services import system_actor
    from zhengtong.workorders import services

    world.scjg_handler = world.staff("scjg_handler", "counter_staff", world.xihu, world.xihu_scjg)
    world.gaj_handler = world.staff("gaj_handler", "counter_staff", world.xihu, world.xihu_gaj)
    world.xihu_supervisor = world.staff("xihu_supervisor", "supervisor", world.xihu)
    world.beishan_dispatcher = world.staff("beishan_dispatcher", "command_staff", world.beishan)
    world.yiwu_handler = world.staff("yiwu_handler", "counter_staff", world.yiwu, world.yiwu_scjg)
    system = system_actor()
    services.routing_rule_set(actor=system, category="0701", region=world.xihu, department=world.xihu_scjg)
    services.routing_rule_set(actor=system, category="0901", region=world.xihu, department=world.xihu_gaj)
    services.routing_rule_set(actor=system, category="0701", region=world.yiwu, department=world.yiwu_scjg)
    return world
