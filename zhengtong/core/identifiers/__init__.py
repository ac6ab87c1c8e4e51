"""Validators and generators for Chinese identifiers.

Covers the resident ID number (GB 11643-1999, ``resident_id``), the unified social credit code
(GB 32100-2015, ``uscc``), the organization code (GB 11714-1997, ``org_code``), mobile numbers
and bank card numbers (Luhn, ``numbers``) and civilian licence plates (GA 36-2018, ``plates``).
The algorithms follow shared/reference/datasec.md section (b).

Every public validator takes any object and either returns the normalised machine form or
raises ``IdentifierError``; no other exception escapes, so callers (forms, API schemas, import
jobs) need one ``except`` clause only. The package is pure Python: Django is optional and only
used to translate the error messages.
"""

from __future__ import annotations

from zhengtong.core.identifiers._common import (
    IdentifierError,
)
from zhengtong.core.identifiers.numbers import (
    is_unionpay,
    validate_bank_card,
    validate_mobile,
)
from zhengtong.core.identifiers.org_code import (
    make_org_code,
    org_code_check_char,
    validate_org_code,
)
from zhengtong.core.identifiers.plates import (
    PLATE_PROVINCES,
    validate_plate,
)
from zhengtong.core.identifiers.resident_id import (
    EARLIEST_BIRTH_DATE,
    EXTRA_REGION_CODES,
    PROVINCE_CODES,
    ResidentIdInfo,
    generate_resident_id,
    is_known_region,
    parse_resident_id,
    resident_id_check_char,
    upgrade_resident_id_15,
    validate_resident_id,
)
from zhengtong.core.identifiers.uscc import (
    generate_uscc,
    make_uscc,
    uscc_check_char,
    validate_uscc,
)

__all__ = [
    "EARLIEST_BIRTH_DATE",
    "EXTRA_REGION_CODES",
    "IdentifierError",
    "PLATE_PROVINCES",
    "PROVINCE_CODES",
    "ResidentIdInfo",
    "generate_resident_id",
    "generate_uscc",
    "is_known_region",
    "is_unionpay",
    "make_org_code",
    "make_uscc",
    "org_code_check_char",
    "parse_resident_id",
    "resident_id_check_char",
    "upgrade_resident_id_15",
    "uscc_check_char",
    "validate_bank_card",
    "validate_mobile",
    "validate_org_code",
    "validate_plate",
    "validate_resident_id",
    "validate_uscc",
]
