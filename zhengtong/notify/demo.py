"""Demo inbox messages for the demo citizens (besides those other modules' demos produce)."""

from __future__ import annotations

from zhengtong.accounts.services import user_by_username
from zhengtong.core.errors import NotFound
from zhengtong.notify.models import Message
from zhengtong.notify.services import notify

MESSAGES = [
    ("citizen_zhang", "欢迎使用政通", "您的账号已完成实名认证，可在线办理政务服务事项。", "/"),
    ("citizen_zhang", "电子证照已入库", "您的机动车驾驶证已归集为电子证照，办事时无需再提交纸质材料。", ""),
    ("citizen_li", "欢迎使用政通", "完成实名认证后即可在线办事、缴费和提交咨询投诉。", "/"),
]


def seed(stdout=None) -> dict[str, int]:
    for username, title, body, link in MESSAGES:
        try:
            user = user_by_username(username)
        except NotFound:
            continue
        if Message.objects.filter(recipient=user, event="demo.welcome", title=title).exists():
            continue
        notify(recipient=user, event="demo.welcome", title=title, body=body, link=link)
    counts = {"messages": Message.objects.count()}
    if stdout:
        stdout.write(f"notify: {counts}")
    return counts
