"""Pages of the workbench app, mounted at /workbench/."""

from django.urls import URLPattern, URLResolver

app_name = "workbench"
urlpatterns: list[URLPattern | URLResolver] = []
