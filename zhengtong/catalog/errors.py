"""Error codes the catalogue sends (besides the shared ``CoreError`` codes: duplicate,
stale_version, validation_error, ...)."""

from __future__ import annotations

from zhengtong.core.errors import ErrorCode


class CatalogError(ErrorCode):
    NOT_DRAFT = "not_draft", "field grades can be changed only while the resource is a draft"
    RETIRED = "retired", "a retired resource takes no new data"
    NOT_CONDITIONAL = (
        "not_conditional",
        "only published, conditionally open resources take data applications",
    )
    OPENNESS_EXCEEDS_GRADE = (
        "openness_exceeds_grade",
        "the openness is more open than the resource's grade allows",
    )
    TOO_LARGE = "too_large", "the uploaded file is larger than CATALOG_UPLOAD_MAX_BYTES"
    TOO_MANY_KEYS = "too_many_keys", "the user holds CATALOG_MAX_KEYS_PER_USER active data API keys already"
    INVALID_API_KEY = "invalid_api_key", "the data API key is unknown or revoked"
