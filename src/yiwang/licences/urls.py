"""Pages of the licences app, mounted at /licences/."""

from django.urls import URLPattern, URLResolver

app_name = "licences"
urlpatterns: list[URLPattern | URLResolver] = []
