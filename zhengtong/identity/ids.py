"""What a client_id can be. Requests carry client ids from query strings, form bodies and decoded
Basic credentials (which may hold any bytes, NUL included, which PostgreSQL refuses in text): a
value that cannot be a client id is looked up as "" and so matches no client."""

from __future__ import annotations

import re

_CLIENT_ID = re.compile(r"[A-Za-z0-9._~-]{1,100}")


def plain_client_id(value: object) -> str:
    return value if isinstance(value, str) and _CLIENT_ID.fullmatch(value) else ""
