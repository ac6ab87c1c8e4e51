"""The names third-party apps show in the admin, anchored here so that ``makemessages`` keeps their
Chinese translations in the project catalogue (nothing else in our source names them, and
``makemessages --no-obsolete`` would drop them). ``gettext_noop`` marks without translating: the
apps translate their own ``verbose_name`` at run time through the merged catalogues."""

from django.utils.translation import gettext_noop

THIRD_PARTY_MODEL_NAMES = (
    # django-axes (login throttling)
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    # django-tasks-db (the task worker's results)
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
)
