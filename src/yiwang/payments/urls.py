"""Pages of the payments app, mounted at /pay/."""

from django.urls import URLPattern, URLResolver

app_name = "payments"
urlpatterns: list[URLPattern | URLResolver] = []
