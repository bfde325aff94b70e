from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    """办件工作台：队列、办件详情、窗口收件、预约日历（工作人员）."""

    name = "yiwang.workbench"
    label = "workbench"
    verbose_name = "工作台"
