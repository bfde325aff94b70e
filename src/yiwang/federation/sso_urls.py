"""Federated sign-in, included by federation.urls under /federation/sso/ (names: federation:sso_…)."""

from django.urls import URLPattern, path

from yiwang.federation import sso_views

urlpatterns: list[URLPattern] = [
    path("", sso_views.choose, name="sso_choose"),
    path("start/<str:code>/", sso_views.start, name="sso_start"),
    path("callback/", sso_views.callback, name="sso_callback"),
    path("signout/", sso_views.signout, name="sso_signout"),
    path("identity/", sso_views.identity, name="sso_identity"),
]
