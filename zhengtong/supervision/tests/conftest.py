"""A supervised county: entities, a market-regulation item, officers and their accounts."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image, ImageDraw

from conftest import shared_fixture
from zhengtong.core.identifiers import make_org_code, make_uscc
from zhengtong.registry import services as registry
from zhengtong.supervision import services


def signature_png(seed: int = 0) -> bytes:
    """A hand-drawn signature as a signature pad gives it: a transparent 600×200 PNG with a stroke."""
    img = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(img).line([(40, 150), (200, 40 + seed), (360, 160), (560, 50)], fill="black", width=4)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


SIG = signature_png()
SIGNED = {"entity_signature": SIG, "inspector_signature": signature_png(7)}


def entity(world, n: int, *, unit=None):
    unit = unit or world.xihu
    return registry.legal_entity_create(
        actor=world.system,
        org_unit=unit,
        uscc=make_uscc("9", "1", unit.code[:6], make_org_code(f"T{n:07d}")),
        name=f"测试餐饮有限公司{n}",
        entity_type="有限责任公司",
        legal_representative="李四",
        registered_address="西湖区某路1号",
    )


@shared_fixture
def supervision_world(world):
    """The world plus a Xihu supervision manager, four enforcement officers (one living in 义乌),
    a supervision item with its checklist and 30 entities."""
    w = world
    w.manager = w.staff("sv_manager", "supervision_manager", w.xihu, w.xihu_scjg)
    w.officers = []
    for n in range(4):
        user = w.staff(f"officer{n}", "enforcement_officer", w.xihu, w.xihu_scjg)
        w.officers.append(
            services.officer_register(
                actor=w.manager,
                department=w.xihu_scjg,
                number=f"3301060{n:03d}",
                name=f"执法员{n}",
                certificate_no=f"ZJ{n:06d}",
                certificate_valid_to=dt.date(2030, 1, 1),
                user=user,
                residence_region="330782" if n == 0 else "",
            )
        )
    w.item = services.item_create(
        actor=w.manager,
        department=w.xihu_scjg,
        code="SCJG-001",
        name="食品经营许可事项检查",
        legal_basis="《食品安全法》第一百一十条",
        checklist=["持有有效许可证", "从业人员健康证明"],
    )
    w.entities = [entity(w, n) for n in range(30)]
    return w


@pytest.fixture
def sv(supervision_world, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    return supervision_world
