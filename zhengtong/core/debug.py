"""What Django's error reports (the development 500 page, the error e-mails) may show.

Django hides settings and request variables whose names match ``API|AUTH|TOKEN|KEY|SECRET|PASS|
SIGNATURE|HTTP_COOKIE``; connection strings carry passwords under other names (``DATABASE_URL``,
``REDIS_URL``, a cache's ``LOCATION``, any ``*_DSN``), so these are hidden too.
"""

from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter


class ExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, also hiding URLs, DSNs and cache locations (they embed credentials)."""

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|URI|DSN|LOCATION",
        flags=re.IGNORECASE,
    )
