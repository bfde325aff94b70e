"""The benchmark data generator: what it writes is exactly what the publishing path would write."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from catalog.factories import make_person_theme, make_theme
from yiwang.catalog import codes
from yiwang.catalog.generator import GENERATED_BASIC_PREFIX, generate
from yiwang.catalog.models import GuideStatus, GuideVersion, Implementation, PublicStatus
from yiwang.catalog.quality import check_guide
from yiwang.catalog.snapshot import build_snapshot
from yiwang.core import audit
from yiwang.core.models import AuditEntry
from yiwang.core.validators import check_uscc

pytestmark = pytest.mark.django_db


def _keys(value: object, path: str = "") -> set[str]:
    """Every key path in a nested document (list items share their parent's path)."""
    if isinstance(value, dict):
        found = set()
        for key, item in value.items():
            found |= {f"{path}.{key}"} | _keys(item, f"{path}.{key}")
        return found
    if isinstance(value, list):
        return set().union(*(_keys(item, f"{path}[]") for item in value)) if value else set()
    return set()


def test_generated_snapshots_equal_build_snapshot_key_for_key() -> None:
    make_theme(), make_person_theme()
    result = generate(12, progress=False)
    assert result.created == 12
    guides = GuideVersion.objects.select_related("implementation").filter(
        implementation__basic_item__basic_code__startswith=GENERATED_BASIC_PREFIX
    )
    assert guides.count() == 12
    for guide in guides:
        built = json.loads(json.dumps(build_snapshot(guide)))
        assert _keys(guide.snapshot) == _keys(built)
        assert guide.snapshot == built


def test_generated_guides_are_published_complete_and_scored_by_the_real_checker() -> None:
    generate(30, progress=False)
    for implementation in Implementation.objects.select_related("published_version", "organisation"):
        guide = implementation.published_version
        assert guide is not None and guide.status == GuideStatus.PUBLISHED and guide.version == 1
        assert implementation.public_status == PublicStatus.PUBLISHED
        assert implementation.name == guide.name and implementation.item_type == guide.item_type
        assert implementation.online_depth == guide.online_depth
        assert implementation.for_person == (codes.ServiceObject.PERSON in guide.service_objects)
        assert implementation.implementation_code.startswith(implementation.organisation.uscc)
        assert check_uscc(implementation.organisation.uscc).warning == ""
        report = check_guide(guide)
        assert report.score == guide.quality_score and report.as_json() == guide.quality_findings
        assert not report.blocking
        assert len(guide.snapshot["materials"]) == 2 and len(guide.snapshot["steps"]) == 3


def test_runs_continue_numbering_and_write_one_audit_row_each() -> None:
    first = generate(7, progress=False)
    second = generate(5, progress=False)
    assert (first.created, second.created) == (7, 5)
    assert Implementation.objects.count() == 12
    rows = list(AuditEntry.objects.filter(action="catalog.generate").order_by("seq"))
    assert [row.data["count"] for row in rows] == [7, 5]
    assert rows[1].data["first_code"] == second.first_code
    assert list(audit.verify_chain()) == []


def test_the_command_reports_the_rate_and_refuses_unknown_regions() -> None:
    out = io.StringIO()
    call_command("generate", "--items", "4", "--no-progress", stdout=out)
    assert "已生成 4 项" in out.getvalue() and "项/秒" in out.getvalue()
    with pytest.raises(CommandError, match="行政区划代码 990000 不存在"):
        call_command("generate", "--items", "1", "--region", "990000", "--no-progress")
    with pytest.raises(CommandError, match="--items 必须是非负整数"):
        call_command("generate", "--items", "-1", "--no-progress")
