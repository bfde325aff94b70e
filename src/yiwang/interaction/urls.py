"""Pages of the interaction app, mounted at /interaction/."""

from django.urls import URLPattern, URLResolver

app_name = "interaction"
urlpatterns: list[URLPattern | URLResolver] = []
