"""Pages of the appointments app, mounted at /appointments/."""

from django.urls import URLPattern, URLResolver, path

from yiwang.appointments import views

app_name = "appointments"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.mine, name="mine"),
    path("new/", views.new, name="new"),
    path("staff/", views.staff_calendar, name="calendar"),
    path("staff/arrive/", views.staff_arrive, name="arrive"),
    path("staff/no-shows/", views.staff_no_shows, name="no_shows"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/cancel/", views.cancel, name="cancel"),
]
