from django.apps import AppConfig


class OpendataConfig(AppConfig):
    """政务数据开放：数据集、CKAN 兼容接口、DCAT 元数据."""

    name = "yiwang.opendata"
    label = "opendata"
    verbose_name = "数据开放"
