"""The search index: one denormalised row per published implementation, plus the vocabulary of indexed terms.

`SearchDocument` holds what filters and result lists need (so a search never joins the catalogue), the
display text used for highlighting, and the pre-segmented token columns (`tok_*`, space-separated). The
full-text structure on top of the token columns is engine-specific and lives in migrations 0002–0004: FTS5
external-content tables kept in step by triggers on SQLite, a slim GIN-indexed match table (rank, filter
columns, tsvectors) kept in step by a trigger on PostgreSQL.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# The token columns, in the order of the FTS5 table.
TOKEN_COLUMNS: tuple[str, ...] = (
    "tok_name",
    "tok_aliases",
    "tok_pinyin",
    "tok_materials",
    "tok_themes",
    "tok_org",
    "tok_faq",
    "tok_grams",
    "tok_filters",
)


class SearchDocument(models.Model):
    implementation = models.OneToOneField(
        "catalog.Implementation",
        verbose_name=_("实施清单事项"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="search_document",
        # No database constraint: on the national hub the index also holds the items regional nodes pushed
        # (federation), keyed by negative ids that name no local implementation. Local rows still go with
        # their implementation (Django's CASCADE), and the indexer removes them on withdrawal.
        db_constraint=False,
    )
    node = models.CharField(
        _("来源节点"),
        max_length=6,
        blank=True,
        default="",
        help_text=_("地区节点推送到国家枢纽的事项：该节点的代码；本节点事项为空。"),
    )
    implementation_code = models.CharField(_("实施编码"), max_length=40)
    rank_id = models.BigIntegerField(
        _("静态排序号"),
        unique=True,
        help_text=_("按热度从高到低分配（重建索引时重排）；全文索引的行号，检索按它的顺序提前截止。"),
    )
    name = models.CharField(_("事项名称"), max_length=200)
    basic_name = models.CharField(_("基本目录事项名称"), max_length=200, blank=True)
    name_key = models.CharField(_("名称比较键"), max_length=200)
    alias_keys = models.CharField(
        _("别名比较键"), max_length=400, blank=True, help_text=_("形如 |别名1|别名2|")
    )
    organisation_id = models.BigIntegerField(_("实施主体编号"))
    organisation_name = models.CharField(_("实施主体名称"), max_length=128)
    organisation_short_name = models.CharField(_("实施主体简称"), max_length=64, blank=True)
    region_code = models.CharField(_("行政区划代码"), max_length=6)
    region_name = models.CharField(_("行政区划名称"), max_length=64)
    item_type = models.CharField(_("事项类型"), max_length=2)
    for_person = models.BooleanField(_("面向个人"), default=False)
    for_enterprise = models.BooleanField(_("面向法人"), default=False)
    online_depth = models.PositiveSmallIntegerField(_("网上办理深度"), null=True, blank=True)
    popularity = models.PositiveIntegerField(_("热度"), default=0)

    # Display text, for highlighting (multi-valued fields one value per line).
    aliases = models.CharField(_("别名/俗称"), max_length=300, blank=True)
    materials = models.TextField(_("申请材料"), blank=True)
    themes = models.TextField(_("服务主题"), blank=True)
    faq = models.TextField(_("常见问题"), blank=True)

    # Pre-segmented tokens (space-separated).
    tok_name = models.TextField(blank=True)
    tok_aliases = models.TextField(blank=True)
    tok_pinyin = models.TextField(blank=True)
    tok_materials = models.TextField(blank=True)
    tok_themes = models.TextField(blank=True)
    tok_org = models.TextField(blank=True)
    tok_faq = models.TextField(blank=True)
    tok_grams = models.TextField(blank=True)
    tok_filters = models.TextField(
        blank=True, help_text=_("筛选条件词：区划、部门、类型、对象、主题、网办深度。")
    )

    indexed_at = models.DateTimeField(_("索引时间"), auto_now=True)

    class Meta:
        verbose_name = _("搜索索引条目")
        verbose_name_plural = _("搜索索引")
        indexes = [
            models.Index(fields=["name_key", "rank_id"], name="search_doc_name"),
            # Covers what ranking reads for every candidate, so it never touches the wide rows.
            models.Index(fields=["rank_id", "name_key", "alias_keys", "popularity"], name="search_doc_rank"),
            models.Index(fields=["region_code"], name="search_doc_region"),
            models.Index(fields=["organisation_id"], name="search_doc_org"),
            models.Index(fields=["item_type"], name="search_doc_type"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.implementation_code}）"


class SearchDocumentTheme(models.Model):
    """Which themes a document belongs to (the theme filter reads this index, not the text)."""

    document = models.ForeignKey(
        SearchDocument, verbose_name=_("搜索索引条目"), on_delete=models.CASCADE, related_name="theme_rows"
    )
    theme_code = models.CharField(_("主题代码"), max_length=16)

    class Meta:
        verbose_name = _("搜索索引主题")
        verbose_name_plural = _("搜索索引主题")
        indexes = [models.Index(fields=["theme_code", "document"], name="search_doc_theme")]
        constraints = [
            models.UniqueConstraint(fields=["document", "theme_code"], name="uniq_search_doc_theme")
        ]

    def __str__(self) -> str:
        return f"{self.document_id}:{self.theme_code}"


class TermKind(models.TextChoices):
    NAME = "name", _("事项名称")
    ALIAS = "alias", _("别名/俗称")
    MATERIAL = "material", _("材料名称")
    ORGANISATION = "organisation", _("部门名称")
    THEME = "theme", _("主题名称")
    WORD = "word", _("名称中的词")


class SearchTerm(models.Model):
    """One indexed term: the domain dictionary for jieba, the typo and pinyin vocabulary, the suggestions."""

    term = models.CharField(
        _("词"), max_length=200, help_text=_("规范化后的形式：简体、小写、去掉标点和空格。")
    )
    display = models.CharField(_("显示形式"), max_length=200, blank=True)
    kind = models.CharField(_("来源"), max_length=16, choices=TermKind.choices)
    pinyin = models.CharField(_("全拼"), max_length=400, blank=True)
    initials = models.CharField(_("首字母"), max_length=200, blank=True)
    doc_count = models.IntegerField(_("所在事项数"), default=0)

    class Meta:
        verbose_name = _("搜索词")
        verbose_name_plural = _("搜索词表")
        constraints = [models.UniqueConstraint(fields=["term", "kind"], name="uniq_search_term_kind")]

    def __str__(self) -> str:
        return f"{self.term}（{self.get_kind_display()}）"


class SearchState(models.Model):
    """A single row: the vocabulary stamp (changes whenever the vocabulary does, so every process reloads
    it) and the next free static-rank number (locked while allocating, so two indexers never clash)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    vocabulary_stamp = models.CharField(_("词表版本"), max_length=32, default="")
    next_rank = models.BigIntegerField(_("下一个排序号"), default=1)

    class Meta:
        verbose_name = _("搜索状态")
        verbose_name_plural = _("搜索状态")

    def __str__(self) -> str:
        return self.vocabulary_stamp
