from django.apps import AppConfig


class InteractionConfig(AppConfig):
    """政民互动：咨询、投诉、建议、求助，知识库与智能问答."""

    name = "yiwang.interaction"
    label = "interaction"
    verbose_name = "政民互动"
