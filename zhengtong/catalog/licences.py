"""The licence registry: every licence a dataset may carry, with what the CKAN ``license_list``
action and the DCAT feed say about it. One list in code (reviewed and the same on every
installation); ``DataResource.licence`` takes its ids and the quality score reads ``is_open``."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class LicenceInfo:
    id: str
    title: str | Promise
    url: str
    # Open Definition conformance ("approved", "not reviewed", "rejected"), as CKAN reports it.
    od_conformance: str
    # The EU licence authority code the DCAT feed uses, "" when none.
    eu_code: str = ""

    @property
    def is_open(self) -> bool:
        return self.od_conformance == "approved"


REGISTRY: dict[str, LicenceInfo] = {
    info.id: info
    for info in (
        LicenceInfo(
            "CC-BY-4.0", "CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/", "approved", "CC_BY_4_0"
        ),
        LicenceInfo(
            "CC-BY-SA-4.0",
            "CC BY-SA 4.0",
            "https://creativecommons.org/licenses/by-sa/4.0/",
            "approved",
            "CC_BYSA_4_0",
        ),
        LicenceInfo(
            "CC0-1.0", "CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/", "approved", "CC0"
        ),
        LicenceInfo(
            "ODC-BY-1.0", "ODC-BY 1.0", "https://opendatacommons.org/licenses/by/1-0/", "approved", "ODC_BY"
        ),
        LicenceInfo(
            "ODbL-1.0", "ODbL 1.0", "https://opendatacommons.org/licenses/odbl/1-0/", "approved", "ODBL"
        ),
        LicenceInfo(
            "PDDL-1.0", "PDDL 1.0", "https://opendatacommons.org/licenses/pddl/1-0/", "approved", "ODC_PDDL"
        ),
        LicenceInfo("gov-open", _("Government open data licence"), "", "approved"),
        LicenceInfo(
            "CC-BY-NC-4.0",
            "CC BY-NC 4.0",
            "https://creativecommons.org/licenses/by-nc/4.0/",
            "rejected",
            "CC_BYNC_4_0",
        ),
        LicenceInfo("other-open", _("Other open licence"), "", "approved"),
        LicenceInfo("notspecified", _("Licence not specified"), "", "not reviewed"),
    )
}
CHOICES = [(info.id, info.title) for info in REGISTRY.values()]
# What an unknown licence from a harvested source becomes.
UNKNOWN = "notspecified"


def get(code: str) -> LicenceInfo | None:
    return REGISTRY.get(code)


def normalise(code: str | None) -> str:
    """A licence id of the registry for an id or URL from elsewhere (case-insensitive; CKAN's
    "cc-by" family and the Creative Commons URLs are recognised); UNKNOWN otherwise."""
    value = (code or "").strip()
    if not value:
        return UNKNOWN
    lowered = value.lower().rstrip("/")
    for info in REGISTRY.values():
        if lowered in (info.id.lower(), info.url.lower().rstrip("/")) and info.id:
            return info.id
    aliases = {"cc-by": "CC-BY-4.0", "cc-zero": "CC0-1.0", "cc-by-sa": "CC-BY-SA-4.0", "odc-odbl": "ODbL-1.0"}
    return aliases.get(lowered, UNKNOWN)


def license_list() -> list[dict]:
    """The CKAN ``license_list`` answer."""
    return [
        {
            "id": info.id,
            "title": str(info.title),
            "url": info.url,
            "od_conformance": info.od_conformance,
            "osd_conformance": "not reviewed",
            "status": "active",
            "maintainer": "",
            "family": "",
            "domain_content": False,
            "domain_data": True,
            "domain_software": False,
        }
        for info in REGISTRY.values()
    ]
