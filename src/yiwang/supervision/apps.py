from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    """效能监督：指标、红黄牌预警、监督看板、导出."""

    name = "yiwang.supervision"
    label = "supervision"
    verbose_name = "效能监督"

    def ready(self) -> None:
        from yiwang.supervision import summary

        # Every case event refreshes that case's facts and summary rows (after commit; see summary.py).
        summary.connect_events()
