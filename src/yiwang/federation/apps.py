from django.apps import AppConfig


class FederationConfig(AppConfig):
    """全国一体化：枢纽与节点、目录同源、跨省通办、统一身份互认."""

    name = "yiwang.federation"
    label = "federation"
    verbose_name = "全国一体化"

    def ready(self) -> None:
        from yiwang.core import events
        from yiwang.federation import catalogue, search_index

        # The hub's portal search ranks the regions' items with its own (no-op where none were pushed).
        search_index.register()
        events.subscribe("catalog.published", catalogue.on_published)
        events.subscribe("catalog.withdrawn", catalogue.on_withdrawn)

        from yiwang.federation import basic, crossprovince, statistics  # noqa: F401  (registers inbox handlers)

        crossprovince.subscribe()
