"""The kinds of accounts' things, as plain enums and constants: org levels, user kinds,
credential kinds. Other apps import them from here, not from ``accounts.models`` (an app reads
another app's models only through its selectors and services; see the import-linter contracts)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgLevel(models.TextChoices):
    PROVINCE = "province", _("province")
    CITY = "city", _("city")
    COUNTY = "county", _("county")
    TOWNSHIP = "township", _("township")
    VILLAGE = "village", _("village")
    GRID = "grid", _("grid")


LEVEL_ORDER = [level.value for level in OrgLevel]
# Region code length per level: GB/T 2260 six digits down to county, then 3 more per level.
CODE_LENGTH = {"province": 6, "city": 6, "county": 6, "township": 9, "village": 12, "grid": 15}


class UserKind(models.TextChoices):
    CITIZEN = "citizen", _("citizen")
    ENTERPRISE = "enterprise", _("enterprise agent")
    STAFF = "staff", _("staff")
    GRID_WORKER = "grid_worker", _("grid worker")
    ADMIN = "admin", _("platform administrator")
    API_CLIENT = "api_client", _("API client")


class CredentialKind(models.TextChoices):
    API_TOKEN = "api_token", _("API token")
    DATA_API_KEY = "data_api_key", _("data API key")
    OPEN311_KEY = "open311_key", _("Open311 key")
    CLIENT_SECRET = "client_secret", _("OpenID Connect client secret")


# The text every secret of a kind starts with (``zt_<prefix>_<random>``): kept per kind so the
# tokens and keys issued before the credentials were merged still authenticate.
SECRET_PREFIX = {
    CredentialKind.API_TOKEN: "zt_",
    CredentialKind.DATA_API_KEY: "ztd_",
    CredentialKind.OPEN311_KEY: "o311_",
    CredentialKind.CLIENT_SECRET: "ztc_",
}
