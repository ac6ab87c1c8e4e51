from django import template

from zhengtong.payments.models import yuan as _yuan

register = template.Library()


@register.filter
def yuan(fen) -> str:
    """Integer fen → yuan with two decimals ("12345" → "123.45")."""
    try:
        return _yuan(int(fen))
    except (TypeError, ValueError):
        return ""
