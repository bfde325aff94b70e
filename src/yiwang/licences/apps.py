from django.apps import AppConfig


class LicencesConfig(AppConfig):
    """电子证照：证照类型、签发、SM2 签名、PDF 与二维码、核验、证照夹."""

    name = "yiwang.licences"
    label = "licences"
    verbose_name = "电子证照"

    def ready(self) -> None:
        from yiwang.core import events

        from . import services

        # Cases announce approval after commit; a licence result is issued here (and by the catch-up job).
        events.subscribe("case.approved", services.on_case_approved)
