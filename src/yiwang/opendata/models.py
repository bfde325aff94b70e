"""Open datasets (政务数据开放) in CKAN's shape: datasets with resources, published by organisations,
grouped by theme (CKAN "groups"), tagged, licensed.

Search reads two narrow tables. `DatasetTerm` (dataset, field, value): the words of the text (field
"text", and "title" for the title's words, used for ranking), and one row per filter value
(organization, groups, tags, res_format, license_id, frequency, …); matching by q and fq is index range
scans on (field, value, dataset). `DatasetSearchRow`: per published dataset its sort keys and facet
values, for ordering pages and counting facets without touching the wide dataset rows. Both behave the
same on SQLite and PostgreSQL, so package_search needs no Solr (docs/apps/opendata.md).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DatasetStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回")


class UpdateFrequency(models.TextChoices):
    """DCAT-AP accrualPeriodicity (EU frequency vocabulary) with Chinese labels."""

    CONTINUOUS = "CONT", _("实时")
    DAILY = "DAILY", _("每日")
    WEEKLY = "WEEKLY", _("每周")
    MONTHLY = "MONTHLY", _("每月")
    QUARTERLY = "QUARTERLY", _("每季度")
    ANNUAL = "ANNUAL", _("每年")
    IRREGULAR = "IRREG", _("不定期")


class ResourceFormat(models.TextChoices):
    CSV = "CSV", "CSV"
    JSON = "JSON", "JSON"
    XLSX = "XLSX", "XLSX"
    API = "API", "API"


class Theme(models.Model):
    """A CKAN group: an open-data theme such as 信用服务 or 交通出行."""

    name = models.SlugField(_("标识"), max_length=100, unique=True)
    title = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("开放主题")
        verbose_name_plural = _("开放主题")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.title


class Dataset(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.SlugField(
        _("标识"),
        max_length=100,
        unique=True,
        help_text=_("URL 中使用的名称：小写英文字母、数字、连字符和下划线，2–100 个字符。"),
    )
    title = models.CharField(_("标题"), max_length=200)
    notes = models.TextField(_("描述"), blank=True)
    organisation = models.ForeignKey(
        "core.Organisation", verbose_name=_("发布机构"), on_delete=models.PROTECT, related_name="datasets"
    )
    themes = models.ManyToManyField(Theme, verbose_name=_("主题"), blank=True, related_name="datasets")
    tags = models.JSONField(_("标签"), default=list, blank=True)
    license_id = models.CharField(_("开放许可"), max_length=32)
    update_frequency = models.CharField(
        _("更新频率"), max_length=16, choices=UpdateFrequency.choices, default=UpdateFrequency.IRREGULAR
    )
    temporal_start = models.DateField(_("时间范围起"), null=True, blank=True)
    temporal_end = models.DateField(_("时间范围止"), null=True, blank=True)
    spatial = models.ForeignKey(
        "core.Region",
        verbose_name=_("空间范围"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=DatasetStatus.choices, default=DatasetStatus.DRAFT, editable=False
    )
    # Datasets the platform publishes and refreshes by itself carry the key of their builder.
    system_key = models.CharField(_("平台自动发布"), max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    modified_at = models.DateTimeField(_("修改时间"), auto_now=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(_("修改次数"), default=0, editable=False)
    # The package dict as JSON, kept for published datasets (opendata.serialise).
    document = models.TextField(blank=True, editable=False)

    class Meta:
        verbose_name = _("开放数据集")
        verbose_name_plural = _("开放数据集")
        indexes = [
            models.Index(fields=["status", "-modified_at"], name="opendata_ds_status_mod"),
            models.Index(fields=["status", "name"], name="opendata_ds_status_name"),
            models.Index(fields=["status", "title"], name="opendata_ds_status_title"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["system_key"], condition=~models.Q(system_key=""), name="opendata_unique_system_key"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Resource(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dataset = models.ForeignKey(
        Dataset, verbose_name=_("数据集"), on_delete=models.CASCADE, related_name="resources"
    )
    name = models.CharField(_("名称"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    format = models.CharField(_("格式"), max_length=8, choices=ResourceFormat.choices)
    file = models.FileField(_("文件"), upload_to="opendata/%Y/%m/", blank=True)
    url = models.URLField(_("接口地址"), max_length=500, blank=True)
    size = models.PositiveBigIntegerField(_("大小（字节）"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256 校验值"), max_length=64, blank=True)
    sm3 = models.CharField(_("SM3 校验值"), max_length=64, blank=True)
    mimetype = models.CharField(_("媒体类型"), max_length=100, blank=True)
    row_count = models.PositiveIntegerField(_("行数"), null=True, blank=True)
    columns = models.JSONField(_("字段"), default=list, blank=True)
    preview = models.JSONField(_("预览（前 10 行）"), default=list, blank=True)
    encoding = models.CharField(_("编码"), max_length=16, blank=True)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    modified_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("数据资源")
        verbose_name_plural = _("数据资源")
        ordering = ["dataset", "position", "id"]

    def __str__(self) -> str:
        return self.name


class DatasetTerm(models.Model):
    """One searchable word or facet value of a published dataset (see the module docstring)."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="terms")
    field = models.CharField(max_length=16)
    value = models.CharField(max_length=100)

    class Meta:
        indexes = [
            models.Index(fields=["field", "value", "dataset"], name="opendata_term_lookup"),
            models.Index(fields=["dataset", "field", "value"], name="opendata_term_dataset"),
        ]

    def __str__(self) -> str:
        return f"{self.field}:{self.value}"


class FacetValue(models.Model):
    """A facet value (organization, groups, tags, …) and its code: the character that stands for it in
    `DatasetSearchRow.facets` (opendata.facets). Codes are never reused or changed."""

    field = models.CharField(max_length=16)
    value = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["field", "value"], name="opendata_facet_value_unique")]

    def __str__(self) -> str:
        return f"{self.field}:{self.value}"


class RowidOneToOneField(models.OneToOneField):
    """A one-to-one primary key that SQLite stores as the table's rowid ("integer primary key"), not as
    a "bigint" column with an index of its own beside the rowid: looking a row up by dataset id is then
    one B-tree search instead of two, which halves joining a large match to its rows."""

    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "sqlite":
            return "integer"
        return super().db_type(connection)


class DatasetSearchRow(models.Model):
    """One compact row per published dataset: its sort keys and the codes of its facet values.

    Ordering and facet counting read this narrow table instead of the wide dataset rows (whose stored
    JSON document makes them kilobytes each): a page of a large match walks an index of the sort key,
    and facets are counted from a few characters per matching dataset (opendata.search).
    """

    dataset = RowidOneToOneField(
        Dataset, on_delete=models.CASCADE, primary_key=True, related_name="search_row"
    )
    modified_at = models.DateTimeField()
    created_at = models.DateTimeField()
    name = models.CharField(max_length=100)
    title = models.CharField(max_length=200)
    # One character per facet value of the dataset: the FacetValue's code (opendata.facets.code_char).
    facets = models.TextField()

    class Meta:
        indexes = [
            models.Index(fields=["modified_at", "dataset"], name="opendata_row_modified"),
            models.Index(fields=["created_at", "dataset"], name="opendata_row_created"),
            models.Index(fields=["name", "dataset"], name="opendata_row_name"),
            models.Index(fields=["title", "dataset"], name="opendata_row_title"),
        ]

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """A key for heavier API use. Only its SM3 digest is stored; the key is shown once when created."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="opendata_keys",
    )
    label = models.CharField(_("用途说明"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=8)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("开放接口密钥")
        verbose_name_plural = _("开放接口密钥")

    def __str__(self) -> str:
        return f"{self.prefix}… {self.label}"
