"""What the catalogue lets higher modules react to or contribute, without importing them
(declared in ``zhengtong.core.hooks``).

    hooks.receiver("catalog.version_published")(tell_followers)   # fn(*, resource, version)
    hooks.receiver("catalog.application_decided")(tell_applicant) # fn(*, application)
    hooks.receiver("catalog.application_approving")(require_terms) # fn(*, application); raise to refuse
    DATASET_PANELS.add("datause.reuses", DatasetPanel(order=10, render=fn))  # fn(request, resource) -> html

``catalog.version_published`` fires after the transaction that made a new version current
commits (a load that succeeded); ``catalog.application_decided`` fires inside the deciding
transaction (approve or reject). Both are isolated: a failing receiver is logged and does not undo
the catalogue's change. ``catalog.application_approving`` fires before an approval, and is not
isolated: a receiver that raises (a ``ZhengtongError``) refuses the approval with its reason (the
sharing module requires the applicant's acceptance of the data-use agreement).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from zhengtong.core import hooks

VERSION_PUBLISHED = hooks.declare(
    "catalog.version_published",
    args=("resource", "version"),
    isolated=True,
    doc="A new version of a data resource became current (after its load committed).",
)
APPLICATION_DECIDED = hooks.declare(
    "catalog.application_decided",
    args=("application",),
    isolated=True,
    doc="A data application was approved or rejected (inside the deciding transaction).",
)

APPLICATION_APPROVING = hooks.declare(
    "catalog.application_approving",
    args=("application",),
    doc="A data application is about to be approved; a receiver raises to refuse the approval.",
)


@dataclass(frozen=True)
class DatasetPanel:
    """A section another module adds to each dataset's page: ``render(request, resource)``
    returns safe HTML (or "" to show nothing); panels are shown by ``order``."""

    order: int
    render: Callable[[Any, Any], str]


DATASET_PANELS = hooks.registry(
    "catalog.dataset_panels",
    doc="Sections other modules add to a dataset's page (reuses, feedback, quality), by order.",
)


def dataset_panels(request, resource) -> list[str]:
    """The rendered panels of a dataset's page, in order (empty ones left out)."""
    panels = sorted(DATASET_PANELS.items(), key=lambda p: p.order)
    return [html for html in (p.render(request, resource) for p in panels) if html]
