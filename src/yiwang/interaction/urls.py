"""Pages of the interaction app, mounted at /interaction/."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "interaction"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("ask", views.ask, name="ask"),
    path("hand-over", views.hand_over, name="hand_over"),
    path("new", views.new, name="new"),
    path("mine", views.mine, name="mine"),
    path("public", views.public_list, name="public"),
    path("faq", views.faq, name="faq"),
    path("staff/", views.staff, name="staff"),
    path("m/<str:number>", views.detail, name="detail"),
    path("m/<str:number>/<str:name>", views.action, name="action"),
]
