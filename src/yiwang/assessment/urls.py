"""Pages of the assessment app, mounted at /assessment/."""

from django.urls import URLPattern, URLResolver

app_name = "assessment"
urlpatterns: list[URLPattern | URLResolver] = []
