"""Pages of the assessment app, mounted at /assessment/."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "assessment"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("self/", views.self_assessment, name="self"),
    path("trees/", views.trees, name="trees"),
    path("questionnaire-template.csv", views.template_csv, name="template"),
    path("rounds/<int:round_id>/", views.round_detail, name="round"),
    path("rounds/<int:round_id>/run", views.run_now, name="run"),
    path("rounds/<int:round_id>/publish", views.publish, name="publish"),
    path("rounds/<int:round_id>/report/", views.report, name="report"),
    path("rounds/<int:round_id>/report.<str:fmt>", views.export, name="export"),
    path("rounds/<int:round_id>/report/<str:region>/", views.region_report, name="region"),
    path("rounds/<int:round_id>/report/<str:region>/<str:indicator>/", views.leaf_detail, name="leaf"),
]
