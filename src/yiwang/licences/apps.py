from django.apps import AppConfig


class LicencesConfig(AppConfig):
    """电子证照：证照类型、签发、SM2 签名、PDF 与二维码、核验、证照夹."""

    name = "yiwang.licences"
    label = "licences"
    verbose_name = "电子证照"
