app_name = "datastore"

urlpatterns: list = []
