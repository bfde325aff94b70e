from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    """数据共享：资源目录、共享授权、交换网关、材料免提交."""

    name = "yiwang.exchange"
    label = "exchange"
    verbose_name = "数据共享"

    def ready(self) -> None:
        # cases defines the provider interface (cases must not import exchange); exchange registers into it.
        from yiwang.cases.prefill import register_prefill_provider

        from . import sources  # noqa: F401 - registers the built-in data sources
        from .prefill import connected_materials, prefill_case

        register_prefill_provider(prefill_case, selects=connected_materials)
