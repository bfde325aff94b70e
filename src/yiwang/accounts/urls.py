from django.urls import path

from yiwang.accounts import views

app_name = "accounts"
urlpatterns = [
    path("signin/", views.signin, name="signin"),
    path("signin/code/", views.signin_code, name="signin_code"),
    path("staff/signin/", views.signin, name="staff_signin"),
    path("totp/", views.totp_step, name="totp"),
    path("signout/", views.signout, name="signout"),
    path("register/", views.register, name="register"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("", views.me, name="me"),
    path("sessions/end-all/", views.signout_everywhere, name="signout_everywhere"),
    path("level/", views.level, name="level"),
    path("data/", views.my_data, name="my_data"),
    path("data/download/", views.my_data_download, name="my_data_download"),
    path("enterprise/", views.enterprise_switch, name="enterprise"),
    path("enterprise/<int:enterprise_id>/agents/", views.agents, name="agents"),
    path(
        "enterprise/<int:enterprise_id>/agents/<int:grant_id>/revoke/",
        views.revoke_agent,
        name="revoke_agent",
    ),
]
