"""Pages of the reviews app, mounted at /reviews/."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "reviews"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.disclosure, name="disclosure"),
    path("rate/<str:number>", views.rate, name="rate"),
    path("mine", views.mine, name="mine"),
    path("mine/<int:review_id>/follow-up", views.follow_up, name="follow_up"),
    path("hall", views.hall, name="hall"),
    path("staff/", views.staff_orders, name="staff_orders"),
    path("staff/appeals", views.staff_appeals, name="staff_appeals"),
    path("staff/<int:order_id>", views.staff_order, name="staff_order"),
    path("staff/<int:order_id>/<str:action>", views.staff_order_action, name="staff_order_action"),
]
