"""Compatibility endpoints (CKAN Action API, Datasette table JSON, DCAT-AP RDF), mounted at the
site root by ``zhengtong/urls.py``."""

from django.urls import path, re_path

from . import ckan, datasette, dcat

app_name = "compat"

urlpatterns = [
    path("api/3", ckan.api_version, name="ckan_api_version"),
    path("api/3/", ckan.api_version),
    path("api/3/action/<str:name>", ckan.action, name="ckan_action"),
    path("api/action/<str:name>", ckan.action, name="ckan_action_unversioned"),
    path("data/<slug:name>.json", datasette.table_json, name="datasette_table"),
    path("data/<slug:name>/<int:version>.json", datasette.table_json, name="datasette_table_version"),
    re_path(
        r"^data/(?P<name>[-a-zA-Z0-9_]+)\.(?P<fmt>csv)$", datasette.table_export, name="datasette_export"
    ),
    re_path(r"^catalog\.(?P<fmt>jsonld|ttl)$", dcat.catalog_rdf, name="dcat_catalog"),
    re_path(
        r"^dataset/(?P<name>[-a-zA-Z0-9_]+)\.(?P<fmt>jsonld|ttl)$", dcat.dataset_rdf, name="dcat_dataset"
    ),
    # CKAN's dataset page address (what harvesters link to) leads to the portal's page.
    path("dataset/<slug:name>", ckan.dataset_page_redirect, name="ckan_dataset_page"),
]
