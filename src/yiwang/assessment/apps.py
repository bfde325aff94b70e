from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    """网上政务服务能力评估：指标体系、采集、评分、排名、报告."""

    name = "yiwang.assessment"
    label = "assessment"
    verbose_name = "能力评估"
