"""DCAT-AP 3 RDF of the published catalogue, built with rdflib.

``/catalog.jsonld`` and ``/catalog.ttl`` (``?page=N``, 100 datasets per page, described with
``hydra:PagedCollection`` as ckanext-dcat and udata do), ``/dataset/<name>.jsonld|.ttl``.
Only metadata: no data rows ever appear here.
"""

from __future__ import annotations

import logging
import re

from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from zhengtong.accounts import selectors as account_selectors
from zhengtong.catalog import licences, selectors
from zhengtong.catalog.models import DataResource, DataService
from zhengtong.core.access import public
from zhengtong.core.errors import CoreError, NotFound, ValidationError, ZhengtongError

from . import common

log = logging.getLogger(__name__)
# Characters no IRI may hold: a URIRef with one cannot be written as Turtle (rdflib raises).
_NOT_IN_IRI = re.compile(r'[<>"{}|\\^`\s\x00-\x1f]')

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
FREQ = Namespace("http://publications.europa.eu/resource/authority/frequency/")
FILETYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
ACCESS = Namespace("http://publications.europa.eu/resource/authority/access-right/")
LICENCE = Namespace("http://publications.europa.eu/resource/authority/licence/")
IANA = "http://www.iana.org/assignments/media-types/"
DCATAP = URIRef("http://data.europa.eu/r5r/")
DCAT_VERSION = URIRef(str(DCAT) + "version")  # DCAT 3 term, not in rdflib's closed namespace

PAGE_SIZE = 100
FREQUENCIES = {
    "realtime": "UPDATE_CONT",
    "hourly": "HOURLY",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "yearly": "ANNUAL",
    "irregular": "IRREG",
}
ACCESS_RIGHTS = {"unconditional": "PUBLIC", "conditional": "RESTRICTED", "closed": "NON_PUBLIC"}
# A catalogued API's access (DataService.Access) -> EU access right: a key anyone can create
# still makes the API public; one that needs an approved application is restricted.
SERVICE_ACCESS_RIGHTS = {"open": "PUBLIC", "key": "PUBLIC", "application": "RESTRICTED"}
FORMATS = [
    # (format label, EU file type, media type, compat URL name or None for the catalog's download)
    ("CSV", "CSV", "text/csv"),
    ("JSON", "JSON", "application/json"),
]
RDF_FORMATS = {"jsonld": ("json-ld", "application/ld+json"), "ttl": ("turtle", "text/turtle")}


def _bind(graph: Graph) -> Graph:
    for prefix, ns in (
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("foaf", FOAF),
        ("vcard", VCARD),
        ("hydra", HYDRA),
        ("skos", SKOS),
        ("adms", ADMS),
        ("xsd", XSD),
    ):
        graph.bind(prefix, ns)
    return graph


def _abs(request, path: str) -> URIRef:
    return URIRef(request.build_absolute_uri(path))


def dataset_uri(request, resource) -> URIRef:
    return _abs(request, f"/dataset/{resource.name}")


def _agent(graph: Graph, request, department) -> URIRef:
    node = _abs(request, f"/organization/{department.org_unit.code}-{department.code}")
    graph.add((node, RDF.type, FOAF.Agent))
    graph.add((node, RDF.type, FOAF.Organization))
    graph.add((node, FOAF.name, Literal(department.name, lang="zh")))
    graph.add((node, DCTERMS.identifier, Literal(f"{department.org_unit.code}-{department.code}")))
    return node


def add_dataset(graph: Graph, request, resource) -> URIRef:
    node = dataset_uri(request, resource)
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.identifier, Literal(resource.name)))
    graph.add((node, DCTERMS.title, Literal(resource.title, lang="zh")))
    if resource.title_en:
        graph.add((node, DCTERMS.title, Literal(resource.title_en, lang="en")))
    if resource.description:
        graph.add((node, DCTERMS.description, Literal(resource.description, lang="zh")))
    if resource.description_en:
        graph.add((node, DCTERMS.description, Literal(resource.description_en, lang="en")))
    for keyword in resource.keywords or []:
        if isinstance(keyword, str) and keyword:
            graph.add((node, DCAT.keyword, Literal(keyword, lang="zh")))
    for keyword in resource.keywords_en or []:
        if isinstance(keyword, str) and keyword:
            graph.add((node, DCAT.keyword, Literal(keyword, lang="en")))
    if resource.domain:
        theme = _abs(request, f"/theme/{resource.domain}")
        graph.add((node, DCAT.theme, theme))
        graph.add((theme, RDF.type, SKOS.Concept))
        graph.add(
            (theme, SKOS.prefLabel, Literal(common.choice_label(DataResource, "domain", resource.domain)))
        )
    if resource.department_id:
        graph.add((node, DCTERMS.publisher, _agent(graph, request, resource.department)))
    frequency = FREQUENCIES.get(resource.update_frequency or "")
    if frequency:
        graph.add((node, DCTERMS.accrualPeriodicity, FREQ[frequency]))
    if resource.temporal_start or resource.temporal_end:
        period = BNode()
        graph.add((node, DCTERMS.temporal, period))
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if resource.temporal_start:
            graph.add((period, DCAT.startDate, Literal(resource.temporal_start, datatype=XSD.date)))
        if resource.temporal_end:
            graph.add((period, DCAT.endDate, Literal(resource.temporal_end, datatype=XSD.date)))
    if resource.spatial:
        place = _abs(request, f"/region/{resource.spatial}")
        graph.add((node, DCTERMS.spatial, place))
        graph.add((place, RDF.type, DCTERMS.Location))
        graph.add((place, SKOS.notation, Literal(resource.spatial)))
        try:
            unit = account_selectors.org_unit_get(resource.spatial)
        except NotFound:
            unit = None
        if unit:
            graph.add((place, SKOS.prefLabel, Literal(unit.name, lang="zh")))
    licence = _licence(resource.licence)
    access = ACCESS_RIGHTS.get(resource.openness or "")
    if access:
        graph.add((node, DCTERMS.accessRights, ACCESS[access]))
    if resource.contact_name or resource.contact_email:
        contact = BNode()
        graph.add((node, DCAT.contactPoint, contact))
        graph.add((contact, RDF.type, VCARD.Organization))
        if resource.contact_name:
            graph.add((contact, VCARD.fn, Literal(resource.contact_name)))
        if resource.contact_email:
            graph.add((contact, VCARD.hasEmail, URIRef(f"mailto:{resource.contact_email}")))
    if resource.published_at:
        graph.add((node, DCTERMS.issued, Literal(resource.published_at, datatype=XSD.dateTime)))
    if resource.modified_at:
        graph.add((node, DCTERMS.modified, Literal(resource.modified_at, datatype=XSD.dateTime)))
    page = _abs(request, _landing(resource))
    graph.add((node, DCAT.landingPage, page))
    graph.add((page, RDF.type, FOAF.Document))
    version = resource.current_version
    if version is not None:
        graph.add((node, DCAT_VERSION, Literal(str(version.number))))
        for label, filetype, media in FORMATS:
            dist = _abs(request, f"/dataset/{resource.name}/distribution/{label.lower()}")
            graph.add((node, DCAT.distribution, dist))
            graph.add((dist, RDF.type, DCAT.Distribution))
            graph.add((dist, DCTERMS.title, Literal(f"{resource.title} ({label})", lang="zh")))
            graph.add((dist, DCTERMS.format, FILETYPE[filetype]))
            graph.add((dist, DCAT.mediaType, URIRef(IANA + media)))
            graph.add((dist, DCAT.accessURL, page))
            if label == "CSV":
                url = reverse("compat:datasette_export", args=[resource.name, "csv"])
            else:
                url = reverse("compat:datasette_table", args=[resource.name]) + "?_shape=array&_size=max"
            if resource.openness == "unconditional":
                graph.add((dist, DCAT.downloadURL, _abs(request, url)))
            if licence is not None:
                graph.add((dist, DCTERMS.license, licence))
            graph.add((dist, DCTERMS.modified, Literal(version.created_at, datatype=XSD.dateTime)))
    if licence is not None:
        graph.add((node, DCTERMS.license, licence))
    return node


def _writable(term) -> bool:
    return not (isinstance(term, URIRef) and _NOT_IN_IRI.search(str(term)))


def add_dataset_safely(graph: Graph, request, resource) -> URIRef | None:
    """``add_dataset``, robust to one bad record: a statement holding a value no serializer can
    write (an e-mail with a space in a mailto: IRI, say) is left out and logged; a record that
    cannot be described at all is skipped and logged (None). The feed never fails for one record."""
    part = Graph()
    try:
        node = add_dataset(part, request, resource)
    except Exception:
        log.exception("dcat: dataset %s left out of the feed", resource.name)
        return None
    if not _writable(node):
        log.warning("dcat: dataset %s left out: its IRI %r is not valid", resource.name, str(node))
        return None
    for triple in part:
        if all(_writable(term) for term in triple):
            graph.add(triple)
        else:
            log.warning(
                "dcat: dataset %s: left out a statement with an invalid IRI: %r", resource.name, triple
            )
    return node


def add_dataservices(graph: Graph, request, catalog: URIRef) -> list[URIRef]:
    """The API catalogue (``DataService``) as ``dcat:DataService`` nodes of ``catalog``
    (``dcat:service``): title, description, publisher, ``dcat:endpointURL`` (base address),
    ``dcat:endpointDescription`` (OpenAPI description), ``dcat:servesDataset`` (its published
    datasets, with ``dcat:accessService`` back from each dataset's node), licence and access
    rights; rate limit and access conditions as ``dct:rights``. A service that cannot be
    described is left out and logged; the feed never fails for one."""
    nodes = []
    services = DataService.objects.select_related("department__org_unit").prefetch_related("datasets")
    for service in services.order_by("name"):
        part = Graph()
        try:
            node = _abs(request, reverse("catalog:dataservice", args=[service.name]))
            part.add((node, RDF.type, DCAT.DataService))
            part.add((node, DCTERMS.identifier, Literal(service.name)))
            part.add((node, DCTERMS.title, Literal(service.title, lang="zh")))
            if service.description:
                part.add((node, DCTERMS.description, Literal(service.description, lang="zh")))
            part.add((node, DCTERMS.publisher, _agent(part, request, service.department)))
            part.add((node, DCAT.endpointURL, URIRef(service.base_url)))
            if service.openapi_url:
                part.add((node, DCAT.endpointDescription, URIRef(service.openapi_url)))
            licence = _licence(service.licence)
            if licence is not None:
                part.add((node, DCTERMS.license, licence))
            part.add(
                (node, DCTERMS.accessRights, ACCESS[SERVICE_ACCESS_RIGHTS.get(service.access, "RESTRICTED")])
            )
            rights = "; ".join(x for x in (service.conditions, service.rate_limit) if x)
            if rights:
                statement = BNode()
                part.add((node, DCTERMS.rights, statement))
                part.add((statement, RDF.type, DCTERMS.RightsStatement))
                part.add((statement, RDFS.label, Literal(rights, lang="zh")))
            part.add((node, DCAT.landingPage, node))
            for dataset in service.datasets.all():
                if dataset.state == "published":
                    served = dataset_uri(request, dataset)
                    part.add((node, DCAT.servesDataset, served))
        except Exception:
            log.exception("dcat: data service %s left out of the feed", service.name)
            continue
        if not all(_writable(term) for triple in part for term in triple):
            log.warning("dcat: data service %s left out: an address is not a valid IRI", service.name)
            continue
        for triple in part:
            graph.add(triple)
        graph.add((catalog, DCAT.service, node))
        nodes.append(node)
    return nodes


def _licence(code: str | None):
    if not code:
        return None
    info = licences.get(code)
    if info is not None and info.eu_code:
        return LICENCE[info.eu_code]
    if info is not None and info.url:
        return URIRef(info.url)
    return URIRef(f"https://spdx.org/licenses/{code}")


def _landing(resource) -> str:
    return common.dataset_page(resource)


def _respond(graph: Graph, fmt: str):
    rdflib_format, content_type = RDF_FORMATS[fmt]
    if fmt == "jsonld":
        payload = graph.serialize(format="json-ld", auto_compact=True)
    else:
        payload = graph.serialize(format=rdflib_format)
    return HttpResponse(payload, content_type=f"{content_type}; charset=utf-8")


def _error(message: str, status: int):
    return JsonResponse(
        {
            "error": {
                "code": CoreError.NOT_FOUND
                if status == 404
                else CoreError.SERVER_ERROR
                if status >= 500
                else CoreError.VALIDATION_ERROR,
                "message": message,
            }
        },
        status=status,
    )


@public
def catalog_rdf(request, fmt: str):
    try:
        page = common.as_int("page", request.GET.get("page"), 1, minimum=1)
        user = common.request_user(request)
        result = selectors.resource_search(
            user=user,
            q="",
            filters={"state": ["published"]},
            sort="modified",
            offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
            facet_fields=(),
        )
    except ZhengtongError as exc:
        return _error(exc.message, exc.status)
    items = [r for r in result.items if r.state == "published"]
    total = result.total
    graph = _bind(Graph())
    base = reverse("compat:dcat_catalog", args=[fmt])
    catalog = _abs(request, "/catalog")
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCTERMS.title, Literal("政通公共数据开放目录", lang="zh")))
    graph.add((catalog, DCTERMS.title, Literal("Zhengtong open data catalogue", lang="en")))
    graph.add((catalog, DCTERMS.description, Literal("Published public data resources", lang="en")))
    graph.add((catalog, FOAF.homepage, _abs(request, "/")))
    graph.add((catalog, DCTERMS.conformsTo, DCATAP))
    for resource in items:
        node = add_dataset_safely(graph, request, resource)
        if node is not None:
            graph.add((catalog, DCAT.dataset, node))
    if page == 1:
        add_dataservices(graph, request, catalog)
    last = max(1, -(-total // PAGE_SIZE))
    if page > last and total:
        return _error(f"page: must be at most {last}", 404)
    paging = _abs(request, f"{base}?page={page}")
    graph.add((paging, RDF.type, HYDRA.PagedCollection))
    graph.add((paging, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
    graph.add((paging, HYDRA.itemsPerPage, Literal(PAGE_SIZE, datatype=XSD.integer)))
    graph.add((paging, HYDRA.firstPage, _abs(request, f"{base}?page=1")))
    graph.add((paging, HYDRA.lastPage, _abs(request, f"{base}?page={last}")))
    if page < last:
        graph.add((paging, HYDRA.nextPage, _abs(request, f"{base}?page={page + 1}")))
    if page > 1:
        graph.add((paging, HYDRA.previousPage, _abs(request, f"{base}?page={page - 1}")))
    return _respond(graph, fmt)


@public
def dataset_rdf(request, name: str, fmt: str):
    try:
        user = common.request_user(request)
        resource = common.resource_get(user, name)
        if resource.state != "published":
            raise NotFound(f"no published dataset {name}")
    except (NotFound, ValidationError) as exc:
        return _error(exc.message, exc.status)
    except ZhengtongError as exc:
        return _error(exc.message, exc.status)
    graph = _bind(Graph())
    if add_dataset_safely(graph, request, resource) is None:
        return _error(f"dataset {name} cannot be described now", 503)
    return _respond(graph, fmt)
