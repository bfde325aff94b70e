"""Federation endpoints and pages, mounted at /federation/."""

from django.urls import URLPattern, URLResolver, include, path

from yiwang.federation import views

app_name = "federation"
urlpatterns: list[URLPattern | URLResolver] = [
    path("inbox", views.receive, name="inbox"),
    path("node", views.card, name="card"),
    path("operations", views.operations, name="operations"),
    path("operations/retry", views.retry, name="retry_all"),
    path("operations/retry/<int:pk>", views.retry, name="retry"),
    path("catalogue", views.hub_catalogue, name="catalogue"),
    path("claims", views.claims, name="claims"),
    path("catalogue/<str:code>", views.hub_item, name="item"),
    path("sso/", include("yiwang.federation.sso_urls")),
    path("cross/", include("yiwang.federation.crossprovince_views")),
]
