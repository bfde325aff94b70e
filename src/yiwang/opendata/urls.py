"""Pages of the opendata app, mounted at /opendata/."""

from django.urls import URLPattern, URLResolver

app_name = "opendata"
urlpatterns: list[URLPattern | URLResolver] = []
