"""Pages of the payments app, mounted at /pay/."""

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "payments"
urlpatterns: list[URLPattern | URLResolver] = [
    path("orders/<str:number>/", views.order_page, name="order"),
    path("orders/<str:number>/checkout", views.checkout, name="checkout"),
    path("orders/<str:number>/return", views.payment_return, name="return"),
    path("sandbox/cashier/<str:trade_no>/", views.sandbox_cashier, name="sandbox_cashier"),
]
