"""OpenID Connect provider endpoints under /o/ (authorize, token, revoke, introspect, userinfo, JWKS,
discovery, end-session). Client applications are registered in the admin, not through public pages."""

from django.urls import path, re_path
from oauth2_provider import views

from yiwang.sso.views import SsoAuthorizationView

app_name = "oauth2_provider"  # django-oauth-toolkit reverses its own names in this namespace
urlpatterns = [
    path("authorize/", SsoAuthorizationView.as_view(), name="authorize"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("revoke_token/", views.RevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", views.IntrospectTokenView.as_view(), name="introspect"),
    re_path(
        r"^\.well-known/openid-configuration/?$",
        views.ConnectDiscoveryInfoView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path(".well-known/jwks.json", views.JwksInfoView.as_view(), name="jwks-info"),
    path("userinfo/", views.UserInfoView.as_view(), name="user-info"),
    path("logout/", views.RPInitiatedLogoutView.as_view(), name="rp-initiated-logout"),
]
