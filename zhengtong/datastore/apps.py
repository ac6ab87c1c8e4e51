from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatastoreConfig(AppConfig):
    name = "zhengtong.datastore"
    label = "datastore"
    verbose_name = _("Datastore")
    api_prefix = "/datastore"
