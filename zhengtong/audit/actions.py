"""The registry of audit action names: every recorded action has a registered, labelled name."""

from __future__ import annotations

from django.utils.functional import Promise

_ACTIONS: dict[str, str | Promise] = {}


def register(actions: dict[str, str | Promise]) -> None:
    for name, label in actions.items():
        if "." not in name:
            raise ValueError(f"audit action {name!r} must be namespaced, e.g. 'registry.person.create'")
        _ACTIONS[name] = label


def label(name: str) -> str:
    return str(_ACTIONS.get(name, name))


def is_registered(name: str) -> bool:
    return name in _ACTIONS


def all_actions() -> dict[str, str]:
    return {name: str(lbl) for name, lbl in sorted(_ACTIONS.items())}
