"""Settings of the datastore module (imported into zhengtong.settings; names are upper-case).

Read values with the helpers of zhengtong.conf (env_int, env_str, ...) so they are declared and
documented (docs/configuration.md, section of this module).
"""

from zhengtong.conf import env_int, env_str
from zhengtong.settings import VAR_DIR

# Where dataset versions (Parquet files) live: <DATASTORE_DIR>/<table_key>/v<version>/<variant>.parquet
DATASTORE_DIR = env_str("DATASTORE_DIR", str(VAR_DIR / "datastore"))
# Largest file read_file() accepts (bytes).
DATASTORE_MAX_FILE_BYTES = env_int("DATASTORE_MAX_FILE_BYTES", 1024 * 1024 * 1024, minimum=1024)
# Largest single cell (bytes); a larger cell rejects the file naming its row and column.
DATASTORE_MAX_CELL_BYTES = env_int("DATASTORE_MAX_CELL_BYTES", 1024 * 1024, minimum=1024)
# Most columns a file may have.
DATASTORE_MAX_COLUMNS = env_int("DATASTORE_MAX_COLUMNS", 500, minimum=1)
# XLSX (zip) defences: total declared uncompressed size, and compression ratio per member.
# A workbook is read into memory (about 5 bytes of memory per byte of sheet XML): keep this low.
DATASTORE_XLSX_MAX_UNCOMPRESSED = env_int("DATASTORE_XLSX_MAX_UNCOMPRESSED", 100 * 1024 * 1024, minimum=1024)
# Most cells (rows x columns) of the sheet read, by its declared dimension and while reading.
DATASTORE_XLSX_MAX_CELLS = env_int("DATASTORE_XLSX_MAX_CELLS", 5_000_000, minimum=100)
DATASTORE_XLSX_MAX_RATIO = env_int("DATASTORE_XLSX_MAX_RATIO", 200, minimum=2)
# Filtered totals are counted exactly up to this many rows, estimated beyond (count="estimate").
DATASTORE_EXACT_COUNT_LIMIT = env_int("DATASTORE_EXACT_COUNT_LIMIT", 100_000, minimum=0)
# Largest page query() returns; a larger limit is a validation error.
DATASTORE_MAX_PAGE_SIZE = env_int("DATASTORE_MAX_PAGE_SIZE", 1000, minimum=10)
# Threads of the query connection (per process).
DATASTORE_QUERY_THREADS = env_int("DATASTORE_QUERY_THREADS", 2, minimum=1)
# Rows per Parquet row group (smaller: finer pruning for keyset pages; larger: faster scans).
DATASTORE_ROW_GROUP_SIZE = env_int("DATASTORE_ROW_GROUP_SIZE", 100_000, minimum=1000)
# Ad-hoc SQL sandbox limits.
DATASTORE_SQL_MEMORY_LIMIT = env_str("DATASTORE_SQL_MEMORY_LIMIT", "512MB")
DATASTORE_SQL_THREADS = env_int("DATASTORE_SQL_THREADS", 1, minimum=1)
DATASTORE_SQL_TIMEOUT_S = env_int("DATASTORE_SQL_TIMEOUT_S", 5, minimum=1)
DATASTORE_SQL_MAX_ROWS = env_int("DATASTORE_SQL_MAX_ROWS", 1000, minimum=1)
# Count, facet and aggregate results go through the one result cache (core.cache); 0 turns it off.
DATASTORE_RESULT_CACHE = env_int("DATASTORE_RESULT_CACHE", 512, minimum=0)
# Text columns with at most this many distinct values get a row index (filters, sorts, facets
# without a scan); more varied text (names, addresses) goes to the full-text index instead.
DATASTORE_INDEX_MAX_TEXT_DISTINCT = env_int("DATASTORE_INDEX_MAX_TEXT_DISTINCT", 50_000, minimum=0)
