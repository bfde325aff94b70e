"""Assessment data: indicator tree versions, rounds and their subjects, collected inputs, runs and results.

A run freezes everything it used into `Run.inputs` (the tree text, the options, every subject's leaf
inputs with their evidence) and its digest; results are computed from that snapshot alone, so re-scoring
the snapshot gives the same numbers bit for bit. A re-run is a new Run row; runs are never edited.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IndicatorTree(models.Model):
    """One version of an indicator tree, stored as its YAML text (validated before saving)."""

    name = models.CharField(_("名称"), max_length=200)
    version = models.CharField(_("版本"), max_length=64)
    text = models.TextField(_("YAML 文本"))
    digest = models.CharField(_("SHA-256 摘要"), max_length=64)
    based_on = models.ForeignKey(
        "self", verbose_name=_("复制自"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    frozen = models.BooleanField(_("已冻结"), default=False, help_text=_("已有评估运行使用，不再修改。"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("指标体系")
        verbose_name_plural = _("指标体系")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="uniq_tree_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class SubjectKind(models.TextChoices):
    PROVINCE = "province", _("省级政府")
    CITY = "city", _("重点城市")
    COUNTY = "county", _("县级政府")


class UnmeasuredPolicy(models.TextChoices):
    ZERO = "zero", _("未测指标计0分")
    REDISTRIBUTE = "redistribute", _("未测指标权重分配给同级指标")


class ScoringMode(models.TextChoices):
    ABSOLUTE = "absolute", _("绝对评分")
    RELATIVE = "relative", _("同级相对评分（最小—最大）")


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class Round(models.Model):
    name = models.CharField(_("轮次名称"), max_length=100, unique=True)
    period_start = models.DateField(_("评估期起"), null=True, blank=True)
    period_end = models.DateField(_("评估期止"), null=True, blank=True)
    tree = models.ForeignKey(IndicatorTree, verbose_name=_("指标体系"), on_delete=models.PROTECT)
    subject_kind = models.CharField(
        _("评估对象类型"), max_length=16, choices=SubjectKind.choices, default=SubjectKind.PROVINCE
    )
    unmeasured_policy = models.CharField(
        _("未测指标处理"), max_length=16, choices=UnmeasuredPolicy.choices, default=UnmeasuredPolicy.ZERO
    )
    mode = models.CharField(
        _("评分模式"), max_length=16, choices=ScoringMode.choices, default=ScoringMode.ABSOLUTE
    )
    previous = models.ForeignKey(
        "self", verbose_name=_("上一轮"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_sample = models.BooleanField(
        _("示例数据"), default=False, help_text=_("示例数据仅供演示，不是官方评估结果。")
    )
    is_self_assessment = models.BooleanField(_("本平台自评"), default=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=RoundStatus.choices, default=RoundStatus.DRAFT, editable=False
    )
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评估轮次")
        verbose_name_plural = _("评估轮次")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class Subject(models.Model):
    """A region assessed in a round, with its evidence sources."""

    round = models.ForeignKey(
        Round, verbose_name=_("轮次"), on_delete=models.CASCADE, related_name="subjects"
    )
    region_code = models.CharField(_("行政区划代码"), max_length=6)
    name = models.CharField(_("名称"), max_length=64)
    platform = models.CharField(
        _("平台数据来源"),
        max_length=300,
        blank=True,
        help_text=_("留空不采集；local 表示本平台数据；或另一部署的网址（通过其 API 采集）。"),
    )
    portal_url = models.URLField(_("门户网址"), blank=True)
    crawl_profile = models.JSONField(_("抓取配置"), default=dict, blank=True)
    population = models.PositiveBigIntegerField(_("常住人口"), null=True, blank=True)

    class Meta:
        verbose_name = _("评估对象")
        verbose_name_plural = _("评估对象")
        ordering = ["round", "region_code"]
        constraints = [models.UniqueConstraint(fields=["round", "region_code"], name="uniq_round_subject")]

    def __str__(self) -> str:
        return f"{self.name}（{self.region_code}）"


class InputSource(models.TextChoices):
    PLATFORM = "platform", _("平台数据")
    CRAWL = "crawl", _("门户抓取")
    QUESTIONNAIRE = "questionnaire", _("问卷")
    IMPORT = "import", _("导入得分")


class LeafInput(models.Model):
    """A collected value for one indicator of one subject: a raw value (scored by the rule) or a score.

    `indicator` is a leaf id, or for imported scores also a dimension/second-level id or "total"."""

    subject = models.ForeignKey(
        Subject, verbose_name=_("评估对象"), on_delete=models.CASCADE, related_name="inputs"
    )
    indicator = models.CharField(_("指标"), max_length=32)
    source = models.CharField(_("来源"), max_length=16, choices=InputSource.choices)
    raw = models.DecimalField(_("原始值"), max_digits=20, decimal_places=6, null=True, blank=True)
    score = models.DecimalField(_("得分"), max_digits=9, decimal_places=4, null=True, blank=True)
    reason = models.CharField(_("未测原因"), max_length=300, blank=True)
    evidence = models.JSONField(_("证据"), default=dict, blank=True)
    collected_at = models.DateTimeField(_("采集时间"), auto_now=True)

    class Meta:
        verbose_name = _("采集值")
        verbose_name_plural = _("采集值")
        ordering = ["subject", "indicator", "source"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "indicator", "source"], name="uniq_leaf_input")
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.indicator} {self.source}"


class RunStatus(models.TextChoices):
    RUNNING = "running", _("计算中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class Run(models.Model):
    round = models.ForeignKey(Round, verbose_name=_("轮次"), on_delete=models.CASCADE, related_name="runs")
    number = models.PositiveIntegerField(_("运行序号"))
    status = models.CharField(
        _("状态"), max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING, editable=False
    )
    inputs = models.JSONField(_("输入快照"), default=dict)
    inputs_digest = models.CharField(_("输入摘要"), max_length=64, blank=True)
    results_digest = models.CharField(_("结果摘要"), max_length=64, blank=True)
    statistics = models.JSONField(_("统计"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("运行人"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("评估运行")
        verbose_name_plural = _("评估运行")
        ordering = ["round", "-number"]
        constraints = [models.UniqueConstraint(fields=["round", "number"], name="uniq_run_number")]

    def __str__(self) -> str:
        return f"{self.round} #{self.number}"


class SubjectResult(models.Model):
    run = models.ForeignKey(Run, verbose_name=_("运行"), on_delete=models.CASCADE, related_name="results")
    region_code = models.CharField(_("行政区划代码"), max_length=6)
    name = models.CharField(_("名称"), max_length=64)
    total = models.DecimalField(_("指数"), max_digits=6, decimal_places=2)
    grade = models.CharField(_("等级"), max_length=16)
    rank = models.PositiveIntegerField(_("排名"))
    coverage = models.DecimalField(_("测得权重占比（%）"), max_digits=6, decimal_places=2)
    nodes = models.JSONField(_("各级指标得分"), default=dict)

    class Meta:
        verbose_name = _("评估结果")
        verbose_name_plural = _("评估结果")
        ordering = ["run", "rank", "region_code"]
        constraints = [models.UniqueConstraint(fields=["run", "region_code"], name="uniq_run_region")]

    def __str__(self) -> str:
        return f"{self.name} {self.total}"


class LeafResult(models.Model):
    result = models.ForeignKey(
        SubjectResult, verbose_name=_("评估结果"), on_delete=models.CASCADE, related_name="leaves"
    )
    indicator = models.CharField(_("指标"), max_length=32)
    source = models.CharField(_("来源"), max_length=16)
    raw = models.CharField(_("原始值"), max_length=40, blank=True)
    score = models.DecimalField(_("得分"), max_digits=9, decimal_places=4, null=True, blank=True)
    reason = models.CharField(_("未测原因"), max_length=300, blank=True)
    evidence = models.JSONField(_("证据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("末级指标结果")
        verbose_name_plural = _("末级指标结果")
        ordering = ["result", "indicator"]
        constraints = [models.UniqueConstraint(fields=["result", "indicator"], name="uniq_leaf_result")]

    def __str__(self) -> str:
        return f"{self.result} {self.indicator}"
