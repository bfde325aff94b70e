from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "yiwang.accounts"
    verbose_name = "账户"

    def ready(self) -> None:
        from yiwang.accounts import signals

        signals.connect()
