from django import template

register = template.Library()


@register.filter
def yuan(fen) -> str:
    """Integer fen as yuan with two decimals (¥ is added by the template)."""
    try:
        return f"{int(fen) / 100:.2f}"
    except (TypeError, ValueError):
        return ""


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def loc_name(obj) -> str:
    """The English name of an item or bundle when the page is in English and one is given."""
    from django.utils.translation import get_language

    if (get_language() or "").startswith("en") and getattr(obj, "name_en", ""):
        return obj.name_en
    return obj.name
