"""Declared hooks and registries: how a lower module lets higher ones react or contribute without
importing them (the arrows keep pointing down).

A **hook** is an event a module fires; other modules receive it. It is declared once, by the module
that fires it, with its name, its keyword arguments and a sentence saying when it fires:

    BILL_PAID = hooks.declare(
        "payments.bill_paid", args=("bill",), keyed=True,
        doc="A bill became paid; keyed by the prefix of Bill.reference (\"case:12\" → \"case\").",
    )

    @hooks.receiver("payments.bill_paid", key="case")     # in the receiving module's ready()
    def case_paid(*, bill): ...

    hooks.fire("payments.bill_paid", key="case", bill=bill)   # in the firing module

Receivers are called with the declared arguments as keywords, in the order they registered. A
keyed hook runs only the receivers registered under the key it is fired with. Unless the hook is
declared ``isolated``, an exception in a receiver propagates to the firing code (so a hook run
inside a transaction rolls it back); an isolated hook logs the failure and goes on with the others.

A **registry** is a named, declared collection that modules add entries to from their
``AppConfig.ready()`` and one core function reads (navigation entries, periodic tasks, models with
SLA clocks): ``NAV = hooks.registry("core.nav", doc=...)``, ``NAV.add(key, item)``, ``NAV.items()``.

Facts an app states about itself (its API prefix, its demo data) are class attributes of its
``AppConfig`` read by ``app_attributes(name)``, the declarative equivalent for things known before
start-up.

Firing, or registering for, a hook nobody declared is an error (a typo would otherwise be a
receiver that never runs). Registering the same receiver or entry twice is idempotent.
``declared()`` and ``registries()`` list everything for the docs (docs/architecture.md, "Hooks and
registries") and its test.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.apps import AppConfig, apps

logger = logging.getLogger(__name__)

T = TypeVar("T")
Receiver = Callable[..., Any]


class HookError(LookupError):
    """A hook or registry used without being declared, declared twice differently, or fired with the
    wrong arguments."""


@dataclass(frozen=True)
class Hook:
    """One declared hook. ``args`` are the keyword arguments every receiver gets; ``doc`` says when
    it fires; ``keyed`` hooks are received per key; ``isolated`` hooks log a failing receiver and run
    the others."""

    name: str
    args: tuple[str, ...]
    doc: str
    keyed: bool = False
    isolated: bool = False
    _receivers: dict[str | None, list[Receiver]] = field(default_factory=dict, compare=False, repr=False)

    def connect(self, fn: Receiver, *, key: str | None = None) -> Receiver:
        """Have ``fn`` receive this hook (under ``key`` for a keyed hook); idempotent."""
        if self.keyed != (key is not None):
            raise HookError(f"hook {self.name!r} is {'keyed: give a key' if self.keyed else 'not keyed'}")
        fns = self._receivers.setdefault(key, [])
        if fn not in fns:
            fns.append(fn)
        return fn

    def disconnect(self, fn: Receiver, *, key: str | None = None) -> None:
        """Stop ``fn`` receiving this hook (tests that registered a receiver of their own)."""
        fns = self._receivers.get(key, [])
        if fn in fns:
            fns.remove(fn)

    def receivers(self, *, key: str | None = None) -> list[Receiver]:
        return list(self._receivers.get(key, []))

    def fire(self, *, key: str | None = None, **kwargs: Any) -> None:
        """Call every receiver (of ``key``) with ``kwargs``, which must be exactly the declared args."""
        if set(kwargs) != set(self.args):
            raise HookError(f"hook {self.name!r} takes {self.args}, fired with {tuple(kwargs)}")
        if self.keyed and key is None:
            raise HookError(f"hook {self.name!r} is keyed: fire it with a key")
        for fn in self.receivers(key=key):
            if not self.isolated:
                fn(**kwargs)
                continue
            try:
                fn(**kwargs)
            except Exception:  # noqa: BLE001 - an isolated hook: one module's receiver must not stop the others
                logger.exception("receiver %s of hook %s failed (key %s)", fn, self.name, key)


@dataclass
class Registry(Generic[T]):
    """A declared collection of entries modules contribute, each under a unique key (a later entry
    with the same key replaces the earlier one; the same entry again changes nothing)."""

    name: str
    doc: str
    _entries: dict[str, T] = field(default_factory=dict, repr=False)

    def add(self, key: str, entry: T) -> T:
        self._entries[key] = entry
        return entry

    def remove(self, key: str) -> None:
        """Drop an entry (tests that registered one of their own)."""
        self._entries.pop(key, None)

    def get(self, key: str) -> T | None:
        return self._entries.get(key)

    def items(self) -> list[T]:
        """The entries in the order they were first added."""
        return list(self._entries.values())


_hooks: dict[str, Hook] = {}
_registries: dict[str, Registry] = {}


def declare(name: str, *, args: Iterable[str], doc: str, keyed: bool = False, isolated: bool = False) -> Hook:
    """Declare the hook ``name`` (``<module>.<event>``); declaring it again identically returns it."""
    hook = Hook(name, tuple(args), doc, keyed, isolated)
    existing = _hooks.get(name)
    if existing is not None:
        if existing != hook:
            raise HookError(f"hook {name!r} is already declared differently")
        return existing
    _hooks[name] = hook
    return hook


def get(name: str) -> Hook:
    """The declared hook ``name``; HookError if nobody declared it."""
    try:
        return _hooks[name]
    except KeyError:
        raise HookError(f"no hook {name!r} is declared") from None


def connect(name: str, fn: Receiver, *, key: str | None = None) -> Receiver:
    """Have ``fn`` receive the declared hook ``name``; idempotent."""
    return get(name).connect(fn, key=key)


def receiver(name: str, *, key: str | None = None) -> Callable[[Receiver], Receiver]:
    """Decorator form of ``connect``."""
    hook = get(name)  # fail at decoration time, not at the first fire

    def decorator(fn: Receiver) -> Receiver:
        return hook.connect(fn, key=key)

    return decorator


def fire(name: str, *, key: str | None = None, **kwargs: Any) -> None:
    """Run the receivers of the declared hook ``name`` (see ``Hook.fire``)."""
    get(name).fire(key=key, **kwargs)


def declared() -> list[Hook]:
    """Every declared hook, by name."""
    return sorted(_hooks.values(), key=lambda h: h.name)


def registry(name: str, *, doc: str) -> Registry:
    """Declare the registry ``name``; declaring it again returns the same registry."""
    reg = _registries.get(name)
    if reg is None:
        reg = _registries[name] = Registry(name, doc)
    return reg


def registries() -> list[Registry]:
    """Every declared registry, by name."""
    return sorted(_registries.values(), key=lambda r: r.name)


def app_attributes(name: str) -> list[tuple[AppConfig, Any]]:
    """``(app_config, value)`` for every installed app whose AppConfig sets the attribute ``name``,
    in INSTALLED_APPS order (the declarative registries: ``api_prefix``, ``demo_order``)."""
    return [(c, getattr(c, name)) for c in apps.get_app_configs() if getattr(c, name, None) is not None]


# The declarative AppConfig attributes the platform reads (for the docs and their test).
APP_ATTRIBUTES: dict[str, str] = {
    "api_prefix": "the app's ninja `router` in `<app>/api.py` is mounted at /api/v1<api_prefix> (zhengtong/api.py)",
    "demo_order": "the app's `demo.py` (`seed(stdout)`, optional `account_rows()`) runs in seed_demo / demo_accounts, "
    "lowest first",
}
