"""The registry of audit action names: every recorded action has a registered, labelled name.

The registry itself lives in ``zhengtong.core.trail`` (so the core's workflows can register their
names without importing this app); this module is its public name for the other apps.
"""

from zhengtong.core.trail import all_actions, is_registered, label, register

__all__ = ["all_actions", "is_registered", "label", "register"]
