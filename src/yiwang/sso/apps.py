from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "yiwang.sso"
    verbose_name = "统一身份认证（单点登录）"
