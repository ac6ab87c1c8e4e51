"""Channel adapters: each sends one inbox message outward and returns a delivery id.

``send(recipient, message) -> str`` raises ``NoAddress`` when the recipient has no address on
that channel (nothing to retry) and any other exception for a failure worth retrying.
"""

from __future__ import annotations

from django.core.mail import EmailMessage

from zhengtong.core.masking import mask, mask_phone
from zhengtong.notify import sms


class NoAddress(Exception):
    """The recipient has no address for this channel."""


class Adapter:
    channel = ""

    def address(self, recipient) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def masked(self, address: str) -> str:
        return mask(address, keep_first=2, keep_last=2)

    def send(self, recipient, message) -> str:  # pragma: no cover - interface
        raise NotImplementedError


class EmailAdapter(Adapter):
    channel = "email"

    def address(self, recipient) -> str:
        return (getattr(recipient, "email", "") or "").strip()

    def masked(self, address: str) -> str:
        local, _, domain = address.partition("@")
        return f"{mask(local, keep_first=1)}@{domain}"

    def send(self, recipient, message) -> str:
        to = self.address(recipient)
        if not to:
            raise NoAddress("no email address")
        body = message.body
        if message.link:
            body = f"{body}\n\n{message.link}" if body else message.link
        email = EmailMessage(subject=message.title, body=body, to=[to])
        email.extra_headers["X-Zhengtong-Message"] = str(message.pk)
        email.send(fail_silently=False)
        return f"email-{message.pk}"


class SmsAdapter(Adapter):
    channel = "sms"

    def address(self, recipient) -> str:
        return (getattr(recipient, "phone", "") or "").strip()

    def masked(self, address: str) -> str:
        return mask_phone(address)

    def send(self, recipient, message) -> str:
        number = self.address(recipient)
        if not number:
            raise NoAddress("no mobile number")
        text = f"【政通】{message.title}" + (f" {message.body}" if message.body else "")
        return sms.get_backend().send(number, text[:300])


ADAPTERS: dict[str, Adapter] = {"email": EmailAdapter(), "sms": SmsAdapter()}


def register_adapter(adapter: Adapter) -> None:
    ADAPTERS[adapter.channel] = adapter
