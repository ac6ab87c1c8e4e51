"""DCAT-AP 3 RDF of the published catalogue, built with rdflib.

``/catalog.jsonld`` and ``/catalog.ttl`` (``?page=N``, 100 datasets per page, described with
``hydra:PagedCollection`` as ckanext-dcat and udata do), ``/dataset/<name>.jsonld|.ttl``.
Only metadata: no data rows ever appear here.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
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
THEME = Namespace("http://publications.europa.eu/resource/authority/data-theme/")
LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
THEME_SCHEME = URIRef("http://publications.europa.eu/resource/authority/data-theme")
GEONAMES = "https://sws.geonames.org/"
IANA = "http://www.iana.org/assignments/media-types/"
DCATAP = URIRef("http://data.europa.eu/r5r/")
DCAT_VERSION = URIRef(str(DCAT) + "version")  # DCAT 3 term, not in rdflib's closed namespace

PAGE_SIZE = 100
DISTRIBUTION_TEXT = {
    "CSV": "{}：全部公开字段的 CSV 文件（UTF-8，首行为字段名）。",
    "JSON": "{}：全部公开字段的 JSON 数组，每行一个对象。",
}
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
# Our domains on the EU data-theme authority list (DCAT-AP asks for at least one of its concepts);
# "other" has no counterpart and gets no theme.
THEMES = {
    "economy": "ECON",
    "transport": "TRAN",
    "environment": "ENVI",
    "government_services": "GOVE",
    "health": "HEAL",
    "education": "EDUC",
    "social": "SOCI",
    "urban": "REGI",
    "agriculture": "AGRI",
    "culture": "EDUC",
    "public_safety": "JUST",
}
# dct:spatial: GeoNames features (the authority DCAT-AP's controlled-vocabulary shapes accept for
# places outside the EU) for region codes (GB/T 2260). A code not listed climbs to its prefecture
# and province (330106 -> 330100 -> 330000); a code with no listed ancestor becomes the EU
# country authority's CHN. Decision and its limits: docs/opendata-api.md, "DCAT-AP".
GEONAMES_IDS = {
    "330000": "1784764",  # Zhejiang Sheng
    "330100": "1808926",  # Hangzhou
    "330200": "1799397",  # Ningbo
    "330300": "1791388",  # Wenzhou
}
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
    theme_code = THEMES.get(resource.domain or "")
    if theme_code:
        theme = THEME[theme_code]
        graph.add((node, DCAT.theme, theme))
        graph.add((theme, RDF.type, SKOS.Concept))
        graph.add((theme, SKOS.inScheme, THEME_SCHEME))
        graph.add(
            (
                theme,
                SKOS.prefLabel,
                Literal(str(common.choice_label(DataResource, "domain", resource.domain)), lang="zh"),
            )
        )
    if resource.department_id:
        graph.add((node, DCTERMS.publisher, _agent(graph, request, resource.department)))
    frequency = FREQUENCIES.get(resource.update_frequency or "")
    if frequency:
        graph.add((node, DCTERMS.accrualPeriodicity, FREQ[frequency]))
        graph.add((FREQ[frequency], RDF.type, DCTERMS.Frequency))
    if resource.temporal_start or resource.temporal_end:
        period = BNode()
        graph.add((node, DCTERMS.temporal, period))
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if resource.temporal_start:
            graph.add((period, DCAT.startDate, Literal(resource.temporal_start, datatype=XSD.date)))
        if resource.temporal_end:
            graph.add((period, DCAT.endDate, Literal(resource.temporal_end, datatype=XSD.date)))
    if resource.spatial:
        place, code = spatial_uri(resource.spatial)
        graph.add((node, DCTERMS.spatial, place))
        graph.add((place, RDF.type, DCTERMS.Location))
        try:
            unit = account_selectors.org_unit_get(code) if code else None
        except NotFound:
            unit = None
        if unit:
            graph.add((place, SKOS.prefLabel, Literal(unit.name, lang="zh")))
    licence = _licence(resource.licence, graph)
    access = ACCESS_RIGHTS.get(resource.openness or "")
    if access:
        graph.add((node, DCTERMS.accessRights, ACCESS[access]))
        graph.add((ACCESS[access], RDF.type, DCTERMS.RightsStatement))
    if resource.contact_name or resource.contact_email:
        contact = BNode()
        graph.add((node, DCAT.contactPoint, contact))
        graph.add((contact, RDF.type, VCARD.Organization))
        graph.add((contact, RDF.type, VCARD.Kind))
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
            graph.add(
                (
                    dist,
                    DCTERMS.description,
                    Literal(DISTRIBUTION_TEXT[label].format(resource.title), lang="zh"),
                )
            )
            graph.add((dist, DCTERMS.format, FILETYPE[filetype]))
            graph.add((FILETYPE[filetype], RDF.type, DCTERMS.MediaTypeOrExtent))
            graph.add((dist, DCAT.mediaType, URIRef(IANA + media)))
            graph.add((URIRef(IANA + media), RDF.type, DCTERMS.MediaType))
            graph.add((dist, DCAT.accessURL, page))
            graph.add((page, RDF.type, RDFS.Resource))
            if label == "CSV":
                url = reverse("compat:datasette_export", args=[resource.name, "csv"]) + "?_stream=on"
            else:
                url = reverse("compat:datasette_table", args=[resource.name]) + "?_shape=array&_size=max"
            if resource.openness == "unconditional":
                graph.add((dist, DCAT.downloadURL, _abs(request, url)))
                graph.add((_abs(request, url), RDF.type, RDFS.Resource))
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
            licence = _licence(service.licence, part)
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


def _licence(code: str | None, graph: Graph | None = None):
    if not code:
        return None
    info = licences.get(code)
    if info is not None and info.eu_code:
        uri = LICENCE[info.eu_code]
    elif info is not None and info.url:
        uri = URIRef(info.url)
    else:
        uri = URIRef(f"https://spdx.org/licenses/{code}")
    if graph is not None:
        graph.add((uri, RDF.type, DCTERMS.LicenseDocument))
    return uri


def spatial_uri(code: str) -> tuple[URIRef, str]:
    """The authority URI for a region code, and the code it stands for (see GEONAMES_IDS)."""
    code = code.strip()
    candidates = [code]
    if len(code) == 6 and code.isdigit():
        candidates += [code[:4] + "00", code[:2] + "0000"]
    for candidate in candidates:
        if candidate in GEONAMES_IDS:
            return URIRef(f"{GEONAMES}{GEONAMES_IDS[candidate]}/"), candidate
    return COUNTRY["CHN"], ""


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
    add_catalog_facts(graph, request, catalog)
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


def add_catalog_facts(graph: Graph, request, catalog: URIRef) -> None:
    """What DCAT-AP 3 asks of the catalogue itself: publisher, homepage, languages, dates,
    licence and theme taxonomy."""
    homepage = _abs(request, "/")
    graph.add((catalog, FOAF.homepage, homepage))
    graph.add((homepage, RDF.type, FOAF.Document))
    graph.add((catalog, DCTERMS.conformsTo, DCATAP))
    graph.add((DCATAP, RDF.type, DCTERMS.Standard))
    publisher = _abs(request, "/catalog#publisher")
    graph.add((catalog, DCTERMS.publisher, publisher))
    graph.add((publisher, RDF.type, FOAF.Agent))
    graph.add((publisher, RDF.type, FOAF.Organization))
    graph.add((publisher, FOAF.name, Literal(settings.CATALOG_PUBLISHER_NAME, lang="zh")))
    for code in ("ZHO", "ENG"):
        graph.add((catalog, DCTERMS.language, LANGUAGE[code]))
        graph.add((LANGUAGE[code], RDF.type, DCTERMS.LinguisticSystem))
    graph.add((catalog, DCAT.themeTaxonomy, THEME_SCHEME))
    graph.add((THEME_SCHEME, RDF.type, SKOS.ConceptScheme))
    graph.add((THEME_SCHEME, DCTERMS.title, Literal("Data theme", lang="en")))
    licence = _licence(settings.CATALOG_LICENCE, graph)
    if licence is not None:
        graph.add((catalog, DCTERMS.license, licence))
    dates = selectors.published_dates()
    if dates["issued"]:
        graph.add((catalog, DCTERMS.issued, Literal(dates["issued"], datatype=XSD.dateTime)))
    if dates["modified"]:
        graph.add((catalog, DCTERMS.modified, Literal(dates["modified"], datatype=XSD.dateTime)))
