from django.apps import AppConfig


class InteractionConfig(AppConfig):
    """政民互动：咨询、投诉、建议、求助，知识库与智能问答."""

    name = "yiwang.interaction"
    label = "interaction"
    verbose_name = "政民互动"

    def ready(self) -> None:
        from yiwang.core import events

        from . import knowledge

        # Guide FAQs enter the knowledge base when a guide is published and leave it when withdrawn.
        events.subscribe("catalog.published", knowledge.on_catalog_change)
        events.subscribe("catalog.withdrawn", knowledge.on_catalog_change)
