"""Pages of the exchange app, mounted at /exchange/."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "exchange"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.catalogue, name="catalogue"),
    path("resources/<str:code>/", views.resource_detail, name="resource"),
    path("grants/", views.grants, name="grants"),
    path("grants/<int:grant_id>/", views.grant_detail, name="grant"),
    path("keys/", views.keys, name="keys"),
    path("keys/issue/<int:organisation_id>/", views.issue_key, name="issue_key"),
    path("keys/<str:key_id>/revoke/", views.revoke_key, name="revoke_key"),
    path("reduced/", views.reduced, name="reduced"),
    path("me/", views.my_reads, name="my_reads"),
    path("cases/<int:case_id>/", views.case_materials, name="case_materials"),
]
