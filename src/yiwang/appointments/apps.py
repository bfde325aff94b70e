from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    """办事预约：大厅与事项的号源、预约、取消、爽约、到场取号."""

    name = "yiwang.appointments"
    label = "appointments"
    verbose_name = "预约"
