"""Harvesting other portals' catalogues (CKAN Action API, DCAT-AP RDF) into this one.

A harvested dataset is a metadata record of the source's department (title, description,
keywords, licence, a link to the origin), published as its origin published it and marked with
its ``harvest_source``, ``origin_id`` and ``origin_url``; the rows stay at the origin. Each run
creates the records that are new, updates those whose origin changed, leaves the others, and
retires those the origin no longer lists (and republishes one that comes back), and writes a
``HarvestRun`` report. Only the harvester changes harvested records (``via="catalog.harvest"``).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import ckanapi
import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rdflib import Graph, Literal
from rdflib.namespace import DCAT, DCTERMS, RDF

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.catalog import licences
from zhengtong.catalog.models import DataResource, HarvestRun, HarvestSource
from zhengtong.catalog.services.resources import NAME_RE, _resource_insert, search_text
from zhengtong.core.errors import ValidationError

logger = logging.getLogger(__name__)
VIA = "catalog.harvest"
MAX_ERRORS = 100
USER_AGENT = "Zhengtong-harvester/1.0"

audit_actions.register(
    {
        "catalog.harvest.source_create": gettext_lazy("Add a harvest source"),
        "catalog.harvest.run": gettext_lazy("Harvest a source"),
        "catalog.harvest.update": gettext_lazy("Update a harvested record"),
    }
)


@dataclass
class Record:
    """One dataset as the origin describes it."""

    origin_id: str
    name: str
    title: str
    description: str = ""
    keywords: list[str] = field(default_factory=list)
    licence: str = ""
    modified: str = ""
    url: str = ""

    def fingerprint(self) -> str:
        """What "changed at the origin" compares: the origin's modification stamp and content."""
        text = "\x1f".join(
            [self.modified, self.title, self.description, ",".join(self.keywords), self.licence, self.url]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:64]


def harvest_source_create(
    *, actor: Any, name: str, title: str, kind: str, url: str, department: Any, interval_hours: int = 24
) -> HarvestSource:
    """Add a source (catalog.manage_harvest at the department's unit); harvested records belong
    to ``department``."""
    ensure_can(actor, "catalog.manage_harvest", department.org_unit)
    name = (name or "").strip().lower()
    if not re.match(r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$", name):
        raise ValidationError.for_field("name", _("3–40 lower-case ASCII letters, digits and hyphens"))
    if HarvestSource.objects.filter(name=name).exists():
        raise ValidationError.for_field("name", _("a harvest source with this name exists already"))
    if kind not in HarvestSource.Kind.values:
        raise ValidationError.for_field("kind", _("must be one of %s") % ", ".join(HarvestSource.Kind.values))
    url = (url or "").strip()
    if not re.match(r"^https?://[^\s/$.?#][^\s]*$", url) or len(url) > 500:
        raise ValidationError.for_field("url", _("must be an http(s) address"))
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ValidationError.for_field("title", _("1 to 200 characters"))
    if (
        isinstance(interval_hours, bool)
        or not isinstance(interval_hours, int)
        or not 1 <= interval_hours <= 24 * 30
    ):
        raise ValidationError.for_field("interval_hours", _("must be between 1 and 720"))
    with transaction.atomic():
        source = HarvestSource.objects.create(
            name=name,
            title=title,
            kind=kind,
            url=url,
            department=department,
            org_unit=department.org_unit,
            interval_hours=interval_hours,
        )
        audit.record(
            actor=actor, action="catalog.harvest.source_create", target=source, org_unit=source.org_unit
        )
    return source


# --- reading the origin ------------------------------------------------------------------------


def _session(session: requests.Session | None) -> requests.Session:
    if session is not None:
        return session
    made = requests.Session()
    made.headers["User-Agent"] = USER_AGENT
    return made


def read_ckan(source: HarvestSource, session: requests.Session | None = None) -> list[Record]:
    """Every dataset of a CKAN portal through ``package_search`` (pages of 100)."""
    remote = ckanapi.RemoteCKAN(source.url.rstrip("/"), user_agent=USER_AGENT, session=_session(session))
    records: list[Record] = []
    start = 0
    base = source.url.rstrip("/")
    while len(records) < settings.CATALOG_HARVEST_MAX_RECORDS:
        page = remote.call_action(
            "package_search",
            {"rows": 100, "start": start},
            requests_kwargs={"timeout": settings.CATALOG_HARVEST_TIMEOUT_SECONDS},
        )
        results = page.get("results") or []
        for pkg in results:
            extras = {e.get("key"): e.get("value") for e in pkg.get("extras") or [] if isinstance(e, dict)}
            if extras.get("harvest_source") == source.name:
                continue  # our own harvested copy of this source, read back: not a dataset of the origin
            name = str(pkg.get("name") or pkg.get("id") or "")
            records.append(
                Record(
                    origin_id=str(pkg.get("id") or name),
                    name=name,
                    title=str(pkg.get("title") or name),
                    description=str(pkg.get("notes") or ""),
                    keywords=[
                        str(t.get("name"))
                        for t in pkg.get("tags") or []
                        if isinstance(t, dict) and t.get("name")
                    ],
                    licence=str(pkg.get("license_id") or pkg.get("license_url") or ""),
                    modified=str(pkg.get("metadata_modified") or ""),
                    url=f"{base}/dataset/{name}",
                )
            )
        start += len(results)
        if not results or start >= int(page.get("count") or 0):
            break
    return records[: settings.CATALOG_HARVEST_MAX_RECORDS]


def _text(graph: Graph, node, predicate) -> str:
    values = list(graph.objects(node, predicate))
    preferred = [v for v in values if isinstance(v, Literal) and (v.language or "").lower().startswith("zh")]
    chosen = (preferred or values or [""])[0]
    return str(chosen)


def read_dcat(source: HarvestSource, session: requests.Session | None = None) -> list[Record]:
    """Every ``dcat:Dataset`` of a DCAT-AP RDF document (Turtle, RDF/XML or JSON-LD)."""
    response = _session(session).get(source.url, timeout=settings.CATALOG_HARVEST_TIMEOUT_SECONDS)
    response.raise_for_status()
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    fmt = {
        "text/turtle": "turtle",
        "application/rdf+xml": "xml",
        "application/ld+json": "json-ld",
    }.get(content_type) or ("xml" if source.url.endswith((".rdf", ".xml")) else "turtle")
    graph = Graph()
    graph.parse(data=response.text, format=fmt)
    records = []
    for node in list(graph.subjects(RDF.type, DCAT.Dataset))[: settings.CATALOG_HARVEST_MAX_RECORDS]:
        identifier = _text(graph, node, DCTERMS.identifier) or str(node)
        licence = _text(graph, node, DCTERMS.license)
        if not licence:
            for dist in graph.objects(node, DCAT.distribution):
                licence = _text(graph, dist, DCTERMS.license)
                if licence:
                    break
        records.append(
            Record(
                origin_id=identifier,
                name=identifier.rstrip("/").rsplit("/", 1)[-1],
                title=_text(graph, node, DCTERMS.title) or identifier,
                description=_text(graph, node, DCTERMS.description),
                keywords=sorted(
                    {
                        str(k)
                        for k in graph.objects(node, DCAT.keyword)
                        if (getattr(k, "language", "") or "zh")[:2] != "en"
                    }
                ),
                licence=licence,
                modified=_text(graph, node, DCTERMS.modified),
                url=_text(graph, node, DCAT.landingPage)
                or (str(node) if str(node).startswith("http") else ""),
            )
        )
    return records


READERS = {HarvestSource.Kind.CKAN: read_ckan, HarvestSource.Kind.DCAT: read_dcat}


# --- applying the records ----------------------------------------------------------------------


def _local_name(source: HarvestSource, record: Record) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", record.name.lower()).strip("-")
    digest = hashlib.sha256(record.origin_id.encode()).hexdigest()[:8]
    name = f"{source.name}-{slug or digest}"[:100].strip("-")
    if not NAME_RE.match(name) or DataResource.objects.filter(name=name).exists():
        name = f"{source.name}-{digest}"
    return name


def _metadata(record: Record) -> dict[str, Any]:
    keywords = [k[:50] for k in record.keywords if k.strip()][:30]
    return {
        "title": (record.title.strip() or record.origin_id)[:200],
        "description": record.description[:10000],
        "keywords": keywords,
        "licence": licences.normalise(record.licence),
    }


def _origin_url(record: Record) -> str:
    return record.url if record.url.startswith(("http://", "https://")) and len(record.url) <= 500 else ""


def _publish(resource: DataResource) -> None:
    DataResource.workflow.apply(
        resource,
        "harvest",
        actor=None,
        via=VIA,
        changes={"published_at": timezone.now(), "modified_at": timezone.now()},
    )


def _create(source: HarvestSource, record: Record) -> None:
    resource = _resource_insert(
        actor=None,
        via=VIA,
        department=source.department,
        name=_local_name(source, record),
        openness="unconditional",
        update_frequency="irregular",
        **_metadata(record),
    )
    DataResource.objects.filter(pk=resource.pk).update(
        harvest_source=source,
        origin_id=record.origin_id[:300],
        origin_url=_origin_url(record),
        origin_modified=record.fingerprint(),
    )
    resource.refresh_from_db()
    _publish(resource)


def _update(resource: DataResource, record: Record) -> None:
    data = _metadata(record)
    for key, value in data.items():
        setattr(resource, key, value)
    resource.origin_url = _origin_url(record)
    resource.origin_modified = record.fingerprint()
    resource.search_text = search_text(
        resource, resource.current_version.schema if resource.current_version else None
    )
    resource.save(update_fields=[*data, "origin_url", "origin_modified", "search_text", "modified_at"])
    audit.record(actor=None, action="catalog.harvest.update", target=resource, after=data, via=VIA)
    if resource.state in ("retired", "draft"):
        _publish(resource)


def harvest_run(source: HarvestSource, *, session: requests.Session | None = None) -> HarvestRun:
    """Harvest ``source`` once and return the run's report. A failure to read the origin fails
    the run and changes no record; a bad record is reported and skipped."""
    run = HarvestRun.objects.create(source=source)
    try:
        records = READERS[source.kind](source, session)
    except Exception as exc:  # noqa: BLE001 - any failure of the origin is the run's report, not a 5xx
        logger.warning("harvest %s failed: %s", source.name, exc)
        run.message = f"{type(exc).__name__}: {exc}"[:500]
        run.finished_at = timezone.now()
        run.save()
        HarvestSource.objects.filter(pk=source.pk).update(last_run_at=run.finished_at)
        return run
    existing = {
        r.origin_id: r
        for r in DataResource.objects.filter(harvest_source=source).select_related("current_version")
    }
    seen: set[str] = set()
    for record in records:
        if record.origin_id in seen:
            continue
        seen.add(record.origin_id)
        try:
            with transaction.atomic():
                resource = existing.get(record.origin_id[:300])
                if resource is None:
                    _create(source, record)
                    run.created += 1
                elif resource.origin_modified != record.fingerprint() or resource.state != "published":
                    _update(resource, record)
                    run.updated += 1
                else:
                    run.unchanged += 1
        except Exception as exc:  # noqa: BLE001 - one bad record must not stop the others
            if len(run.errors) < MAX_ERRORS:
                message = exc.message if hasattr(exc, "message") else str(exc)
                run.errors.append({"record": record.origin_id[:300], "message": str(message)[:300]})
    for origin_id, resource in existing.items():
        if origin_id not in seen and resource.state == "published":
            with transaction.atomic():
                DataResource.workflow.apply(
                    resource,
                    "retire",
                    actor=None,
                    via=VIA,
                    note=_("withdrawn at the origin"),
                    changes={"modified_at": timezone.now()},
                )
            run.withdrawn += 1
    run.ok = True
    run.finished_at = timezone.now()
    run.message = _("%(n)d records read") % {"n": len(records)}
    run.save()
    HarvestSource.objects.filter(pk=source.pk).update(last_run_at=run.finished_at)
    audit.record(
        actor=None,
        action="catalog.harvest.run",
        target=source,
        org_unit=source.org_unit,
        after={
            "created": run.created,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "withdrawn": run.withdrawn,
        },
        via=VIA,
    )
    return run


def harvest_now(*, actor: Any, source: HarvestSource) -> HarvestRun:
    """Run a harvest now (catalog.manage_harvest at the source's unit)."""
    ensure_can(actor, "catalog.manage_harvest", source.org_unit)
    return harvest_run(source)


def harvests_due() -> int:
    """The periodic task: harvest every active source whose interval has passed."""
    now = timezone.now()
    done = 0
    for source in HarvestSource.objects.filter(active=True).select_related("department", "org_unit"):
        if source.last_run_at is None or now - source.last_run_at >= timezone.timedelta(
            hours=source.interval_hours
        ):
            harvest_run(source)
            done += 1
    return done
