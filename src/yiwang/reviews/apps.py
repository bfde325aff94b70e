from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    """好差评：评价、差评整改、申诉复核、公开."""

    name = "yiwang.reviews"
    label = "reviews"
    verbose_name = "好差评"

    def ready(self) -> None:
        from yiwang.core import events

        from . import services

        # cases announces completion after commit; we invite the applicant to rate.
        events.subscribe("case.completed", services.on_case_completed)
