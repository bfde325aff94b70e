"""Template helpers: time limits with units, code labels in the page language, Traditional content."""

from __future__ import annotations

from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from yiwang.web.templatetags import portal
from yiwang.web.text import romanised, short_region_name


def test_time_limits_read_with_their_units() -> None:
    assert portal.time_limit(20, "wd") == "20 个工作日"
    assert portal.time_limit(30, "cd") == "30 个自然日"
    assert portal.time_limit(0, "wd") == "即办"
    assert portal.time_limit(5, "now") == "即办"
    assert portal.time_limit(None, "wd") == "未规定"
    with translation.override("en"):
        assert portal.time_limit(20, "wd") == "20 working days"


def test_code_labels_follow_the_language_and_fall_back_to_the_published_label() -> None:
    assert portal.code_label("ItemType", "01") == "行政许可"
    with translation.override("en"):
        assert portal.code_label("ItemType", "01") == "Administrative licensing"
        assert portal.code_labels("DeliveryMethod", ["post", "electronic"]) == "By post, Electronically"
    assert portal.code_label("ItemType", "11", "政府内部审批") == "政府内部审批"


def test_content_is_converted_to_traditional_only_in_traditional_mode() -> None:
    assert portal.zh("居民身份证换领") == "居民身份证换领"
    with translation.override("zh-hant"):
        assert portal.zh("居民身份证换领") == "居民身份證換領"
        highlighted = portal.zh(mark_safe("<mark>身份证</mark>"))
        assert isinstance(highlighted, SafeString) and highlighted == "<mark>身份證</mark>"


def test_region_names_for_the_site_name() -> None:
    assert short_region_name("浙江省") == "浙江"
    assert short_region_name("广西壮族自治区") == "广西"
    assert short_region_name("杭州市") == "杭州"
    assert romanised("浙江") == "Zhejiang"
