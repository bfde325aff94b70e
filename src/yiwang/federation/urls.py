"""Pages of the federation app, mounted at /federation/."""

from django.urls import URLPattern, URLResolver

app_name = "federation"
urlpatterns: list[URLPattern | URLResolver] = []
