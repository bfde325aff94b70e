from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    """数据共享：资源目录、共享授权、交换网关、材料免提交."""

    name = "yiwang.exchange"
    label = "exchange"
    verbose_name = "数据共享"
