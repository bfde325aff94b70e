"""Open-data portal pages, mounted at /opendata/ (the CKAN API is at /api/action/ and /api/3/action/)."""

from django.urls import URLPattern, URLResolver, path, re_path

from yiwang.opendata import views

app_name = "opendata"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.portal, name="portal"),
    re_path(r"^catalog\.(?P<suffix>jsonld|ttl|rdf)$", views.catalogue_rdf, name="catalogue_rdf"),
    path("dump.jsonl", views.dump, name="dump"),
    path("terms", views.terms, name="terms"),
    path("keys", views.api_keys, name="keys"),
    path("manage/", views.manage, name="manage"),
    path("manage/new", views.dataset_form, name="dataset_new"),
    path("manage/<slug:name>/edit", views.dataset_form, name="dataset_edit"),
    path("manage/<slug:name>", views.manage_dataset, name="manage_dataset"),
    re_path(
        r"^datasets/(?P<name>[a-z0-9_-]+)\.(?P<suffix>jsonld|ttl|rdf)$", views.dataset_rdf, name="dataset_rdf"
    ),
    path("datasets/<slug:name>", views.dataset_page, name="dataset"),
    path("datasets/<slug:name>/resources/<uuid:uid>/download", views.download, name="download"),
]
