"""Pages of the workbench app, mounted at /workbench/."""

from django.urls import URLPattern, URLResolver, path

from yiwang.workbench import views

app_name = "workbench"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.queue, name="queue"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/act/<slug:action>/", views.case_action, name="act"),
    path("cases/<int:pk>/files/<int:file_id>/", views.material_file, name="material_file"),
    path("cases/<int:pk>/documents/<int:document_id>/", views.case_document, name="document"),
    path("cases/<int:pk>/receipt/", views.receipt, name="receipt"),
    path("intake/", views.intake_start, name="intake"),
    path("intake/application/", views.intake_form, name="intake_form"),
]
