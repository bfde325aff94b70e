from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "yiwang.core"
    verbose_name = "基础"

    def ready(self) -> None:
        from yiwang.core import workdays

        # Drop the in-memory working-day cache whenever calendar rows change.
        workdays.connect_signals()
