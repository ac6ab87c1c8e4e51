"""Settings of the catalog module (imported into zhengtong.settings; names are upper-case).

Read values with the helpers of zhengtong.conf (env_int, env_str, ...) so they are declared and
documented (docs/configuration.md, section of this module).
"""

from zhengtong.conf import env_bool, env_int, env_str
from zhengtong.settings import TESTING, VAR_DIR

# Where uploaded files wait for (and are kept after) their load job.
CATALOG_UPLOAD_DIR = env_str("CATALOG_UPLOAD_DIR", str(VAR_DIR / "catalog" / "uploads"))
CATALOG_UPLOAD_MAX_BYTES = env_int("CATALOG_UPLOAD_MAX_BYTES", 512 * 1024 * 1024, minimum=1)
# Rows handed to the privacy classifier to suggest a class and grade per field.
CATALOG_CLASSIFY_SAMPLE_ROWS = env_int("CATALOG_CLASSIFY_SAMPLE_ROWS", 500, minimum=10)
# Data API rate limits (requests per minute, fixed window in the cache).
CATALOG_KEY_RATE_LIMIT = env_int("CATALOG_KEY_RATE_LIMIT", 600, minimum=1)
# Under test the default is high, so suites that call the data APIs many times from one address
# do not trip it (the limiter's own tests set it low).
CATALOG_ANON_RATE_LIMIT = env_int("CATALOG_ANON_RATE_LIMIT", 100_000 if TESTING else 60, minimum=1)
# Datasette's ``suggest_facets`` setting: the table JSON suggests facets (a second pass over the
# matching rows and a sample of 100 rows per request) unless off or the caller sends _nosuggest.
CATALOG_DATASETTE_SUGGEST_FACETS = env_bool("CATALOG_DATASETTE_SUGGEST_FACETS", True)
CATALOG_MAX_KEYS_PER_USER = env_int("CATALOG_MAX_KEYS_PER_USER", 5, minimum=1)
# Days an approved application for conditionally open data gives access.
CATALOG_APPLICATION_DAYS = env_int("CATALOG_APPLICATION_DAYS", 365, minimum=1)
# Points at most in a dataset's map preview (rows with longitude and latitude).
CATALOG_MAP_MAX_POINTS = env_int("CATALOG_MAP_MAX_POINTS", 1000, minimum=1)
# Harvesting other portals: records read per run at most, seconds per HTTP request, and how
# often the worker looks for sources that are due.
CATALOG_HARVEST_MAX_RECORDS = env_int("CATALOG_HARVEST_MAX_RECORDS", 5000, minimum=1)
CATALOG_HARVEST_TIMEOUT_SECONDS = env_int("CATALOG_HARVEST_TIMEOUT_SECONDS", 30, minimum=1)
CATALOG_HARVEST_CHECK_SECONDS = env_int("CATALOG_HARVEST_CHECK_SECONDS", 600, minimum=60)
# Features at most in a dataset's GeoJSON export.
CATALOG_GEOJSON_MAX_FEATURES = env_int("CATALOG_GEOJSON_MAX_FEATURES", 50000, minimum=1)
# The DCAT-AP catalogue's publisher (dct:publisher, a foaf:Agent) and the licence of the catalogue
# record itself (an id of catalog.licences; the datasets carry their own).
CATALOG_PUBLISHER_NAME = env_str("CATALOG_PUBLISHER_NAME", "政通公共数据开放平台")
CATALOG_LICENCE = env_str("CATALOG_LICENCE", "CC-BY-4.0")
# Bytes at most of a document attached to a dataset (PDF, DOCX, …).
CATALOG_DOCUMENT_MAX_BYTES = env_int("CATALOG_DOCUMENT_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
