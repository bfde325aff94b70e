"""The CKAN Action API, mounted at /api/action/ and /api/3/action/ (before the ninja API at /api/)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
