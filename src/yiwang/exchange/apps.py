from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    """数据共享：资源目录、共享授权、交换网关、材料免提交."""

    name = "yiwang.exchange"
    label = "exchange"
    verbose_name = "数据共享"

    def ready(self) -> None:
        # cases defines the provider interface (cases must not import exchange); exchange registers into it.
        from django.db.models.signals import post_delete, post_save

        from yiwang.cases.prefill import register_prefill_provider

        from . import sources  # noqa: F401 - registers the built-in data sources
        from .models import Resource
        from .prefill import connected_materials, prefill_case
        from .selectors import forget_source_names

        register_prefill_provider(prefill_case, selects=connected_materials)
        post_save.connect(forget_source_names, sender=Resource, dispatch_uid="exchange-source-names")
        post_delete.connect(forget_source_names, sender=Resource, dispatch_uid="exchange-source-names")
