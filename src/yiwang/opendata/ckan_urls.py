"""The CKAN Action API, mounted at /api/action/ and /api/3/action/ (before the ninja API at /api/)."""

from django.urls import URLPattern, URLResolver, path

from yiwang.opendata.ckan import action_view

urlpatterns: list[URLPattern | URLResolver] = [path("<str:action>", action_view)]
