"""Pages of the supervision app, mounted at /supervision/."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "supervision"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="dashboard"),
    path("export/", views.export, name="export"),
    path("cases/", views.cases, name="cases"),
    path("materials/", views.materials, name="materials"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
]
