"""Pages of the catalogue: the open-data portal (public) and the publishers' console.

Views parse input, call one selector or service and render; permissions are decided in the
services and selectors. Rows shown to the public always come from the desensitized "public"
variant (``selectors.served_variant``).

- ``portal``: search, a dataset's page, downloads, a department's datasets (public)
- ``charts``: the automatic charts of a dataset's page
- ``data_users``: applications for conditional data, a data user's keys
- ``harvest``: harvest sources and runs (console); the catalogue-wide CSV dump
- ``maps``: the map preview of datasets with coordinates
- ``console``: the publishers' and data security officers' console
- ``attachments``: documents (download with the grade's check) and API links of a dataset, and
  the fields' Chinese and English titles (console forms)
- ``common``: domain errors on forms, the schema table
"""

from zhengtong.catalog.views.attachments import (
    api_link_add,
    attachment_remove,
    document,
    document_add,
    field_titles,
)
from zhengtong.catalog.views.console import (
    application_decide,
    applications,
    fields,
    load_status,
    my_resources,
    resource_edit,
    resource_manage,
    resource_new,
    review_queue,
    transition,
    upload,
)
from zhengtong.catalog.views.data_users import apply, key_revoke, my_data
from zhengtong.catalog.views.dataservices import dataservice, dataservice_new, dataservices
from zhengtong.catalog.views.harvest import catalogue_dump, harvest
from zhengtong.catalog.views.portal import dataset, department, download, portal
from zhengtong.catalog.views.resources import dictionary, geojson

__all__ = [
    "api_link_add",
    "attachment_remove",
    "document",
    "document_add",
    "field_titles",
    "dataservice",
    "dataservice_new",
    "dataservices",
    "dictionary",
    "geojson",
    "catalogue_dump",
    "harvest",
    "application_decide",
    "applications",
    "apply",
    "dataset",
    "department",
    "download",
    "fields",
    "key_revoke",
    "load_status",
    "my_data",
    "my_resources",
    "portal",
    "resource_edit",
    "resource_manage",
    "resource_new",
    "review_queue",
    "transition",
    "upload",
]
