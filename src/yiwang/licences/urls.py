"""Pages of the licences app, mounted at /licences/."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "licences"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.wallet, name="wallet"),
    path("verify/", views.verify, name="verify"),
    path("mine/<str:identifier>/", views.detail, name="detail"),
    path("mine/<str:identifier>/pdf", views.download, name="download"),
    path("mine/<str:identifier>/disclosure", views.disclosure, name="disclosure"),
    path("mine/<str:identifier>/grant", views.grant, name="grant"),
    path("mine/<str:identifier>/grants/<int:grant_id>/revoke", views.revoke_grant, name="revoke_grant"),
    path("manage/", views.manage, name="manage"),
    path("manage/issue/", views.issue_page, name="issue"),
    path("manage/<str:identifier>/", views.manage_detail, name="manage_detail"),
]
