"""Writes of the catalogue, one module per use case:

- ``resources``: catalogue a resource, change its metadata, its review workflow (submit, approve,
  reject, retire, reopen)
- ``grades``: the grade a field releases, and openness within what the grade allows
- ``versions``: make a version current and publish it in the datastore; desensitize a table
- ``fields``: field classification (the privacy module's suggestion) and the publisher's decisions;
  multilingual field titles
- ``attachments``: a dataset's further resources: documents and API links
- ``loads``: ingestion, from the upload to a new version, in the background worker
- ``applications``: data applications for conditionally open resources
- ``keys``: data users' API keys (accounts credentials) and the data API's rate limits
- ``usage``: usage statistics per resource and day
- ``harvest``: harvest sources and runs (CKAN Action API, DCAT-AP RDF): metadata records kept
  in step with other portals
- ``platform``: ``platform_dataset_publish``, the trusted internal entry point through which grid
  and codes publish their statistics

Every write checks permission, validates, writes and records its audit event in one transaction.
Callers import from this package (``from zhengtong.catalog import services``), not the modules.
"""

from zhengtong.catalog.services.applications import (
    APPLICATION_STEPS,
    application_approve,
    application_reject,
    application_revoke,
    application_submit,
    application_withdraw,
)
from zhengtong.catalog.services.attachments import (
    DOCUMENT_TYPES,
    api_link_add,
    attachment_remove,
    document_add,
)
from zhengtong.catalog.services.dataservices import dataservice_create, dataservices_check
from zhengtong.catalog.services.fields import POLICY_OPS, field_grades_set, field_titles_set
from zhengtong.catalog.services.grades import grade_max, max_openness, public_grade
from zhengtong.catalog.services.harvest import harvest_now, harvest_run, harvest_source_create, harvests_due
from zhengtong.catalog.services.keys import (
    KEY_PREFIX,
    api_key_authenticate,
    api_key_create,
    api_key_revoke,
    rate_limit_check,
)
from zhengtong.catalog.services.loads import (
    FORMATS,
    LoadFailed,
    load_run,
    load_start,
    loads_recover_stale,
)
from zhengtong.catalog.services.platform import platform_dataset_publish
from zhengtong.catalog.services.resources import (
    METADATA_FIELDS,
    NAME_RE,
    RESOURCE_STEPS,
    resource_approve,
    resource_by_name,
    resource_create,
    resource_reject,
    resource_reopen,
    resource_retire,
    resource_submit,
    resource_update,
    search_text,
)
from zhengtong.catalog.services.usage import usage_record, usage_record_many

__all__ = [
    "DOCUMENT_TYPES",
    "api_link_add",
    "attachment_remove",
    "document_add",
    "field_titles_set",
    "APPLICATION_STEPS",
    "FORMATS",
    "KEY_PREFIX",
    "METADATA_FIELDS",
    "NAME_RE",
    "POLICY_OPS",
    "RESOURCE_STEPS",
    "LoadFailed",
    "api_key_authenticate",
    "api_key_create",
    "api_key_revoke",
    "application_approve",
    "application_reject",
    "application_revoke",
    "application_submit",
    "application_withdraw",
    "dataservice_create",
    "dataservices_check",
    "field_grades_set",
    "grade_max",
    "harvest_now",
    "harvest_run",
    "harvest_source_create",
    "harvests_due",
    "load_run",
    "load_start",
    "loads_recover_stale",
    "max_openness",
    "platform_dataset_publish",
    "public_grade",
    "rate_limit_check",
    "resource_approve",
    "resource_by_name",
    "resource_create",
    "resource_reject",
    "resource_reopen",
    "resource_retire",
    "resource_submit",
    "resource_update",
    "search_text",
    "usage_record",
    "usage_record_many",
]
