from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    """好差评：评价、差评整改、申诉复核、公开."""

    name = "yiwang.reviews"
    label = "reviews"
    verbose_name = "好差评"
