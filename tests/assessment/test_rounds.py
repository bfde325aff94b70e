"""Rounds end to end without pages: questionnaires, tree versions, another deployment's API, the
self-assessment job and command, and the previous-round comparison."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import override_settings

from catalog.factories import make_region
from yiwang.assessment import services
from yiwang.assessment.importers import ImportProblems
from yiwang.assessment.models import IndicatorTree, Round, Run
from yiwang.assessment.tasks import self_assessment
from yiwang.assessment.tree import TreeError

pytestmark = pytest.mark.django_db


def test_questionnaire_answers_become_checklist_shares() -> None:
    round_ = services.create_round("问卷轮", actor=None)
    services.set_subject(round_, "110000", "北京市", actor=None)
    rows = [
        ["region", "respondent", "indicator", "item", "answer"],
        ["110000", "专家1", "A2.4", "我的办件", "是"],
        ["110000", "专家1", "A2.4", "我的证照", "否"],
        ["110000", "专家2", "A2.4", "我的办件", "1"],
        ["110000", "专家2", "A2.4", "我的证照", "是"],
    ]
    assert services.import_questionnaire(round_, rows, actor=None) == 1
    run = services.run_round(round_, actor=None)
    leaf = run.results.get().leaves.get(indicator="A2.4")
    assert (leaf.raw, leaf.score, leaf.source) == ("0.750000", 75, "questionnaire")
    assert leaf.evidence["respondents"] == 2 and leaf.evidence["items"]["我的证照"] == {
        "met": 1,
        "answered": 2,
    }


def test_questionnaire_problems_name_the_line() -> None:
    round_ = services.create_round("问卷错", actor=None)
    services.set_subject(round_, "110000", "北京市", actor=None)
    rows = [
        ["region", "respondent", "indicator", "item", "answer"],
        ["120000", "专家1", "A2.4", "我的办件", "是"],
        ["110000", "专家1", "A2", "我的办件", "是"],
        ["110000", "专家1", "A2.4", "我的办件", "也许"],
    ]
    with pytest.raises(ImportProblems) as caught:
        services.import_questionnaire(round_, rows, actor=None)
    assert caught.value.problems == [
        "第2行：地区 120000 不是本轮的评估对象",
        "第3行：“A2”不是末级指标 id",
        "第4行：answer“也许”应为 是 或 否",
    ]


def test_tree_copies_are_editable_until_used() -> None:
    default = services.default_tree(actor=None)
    copy = services.copy_tree(default, version="2026-draft", actor=None)
    assert copy.based_on == default and not copy.frozen
    broken = copy.text.replace("weight: 15", "weight: 16", 1)
    with pytest.raises(TreeError, match="“A”的权重为 16，但其下级权重之和为 15"):
        services.edit_tree(copy, broken, actor=None)
    edited = copy.text.replace("name: 统一入口", "name: 统一入口（修订）")
    services.edit_tree(copy, edited, actor=None)
    round_ = services.create_round("新树轮", actor=None, tree=copy)
    services.set_subject(round_, "110000", "北京市", actor=None)
    run = services.run_round(round_, actor=None)
    assert "统一入口（修订）" in run.inputs["tree"]["text"]
    copy.refresh_from_db()
    assert copy.frozen
    with pytest.raises(services.AssessmentError, match="不能修改"):
        services.edit_tree(copy, edited, actor=None)
    assert IndicatorTree.objects.count() == 2


def test_previous_round_change_is_reported() -> None:
    services.import_scores(
        "2024",
        [["region", "name", "total"], ["110000", "北京市", "80"], ["120000", "天津市", "70"]],
        actor=None,
    )
    earlier = Round.objects.get(name="2024")
    services.run_round(earlier, actor=None)
    later = services.create_round("2025", actor=None, previous=earlier)
    services.import_scores(
        "2025",
        [["region", "name", "total"], ["110000", "北京市", "85"], ["120000", "天津市", "69"]],
        actor=None,
    )
    run = services.run_round(later, actor=None)
    from yiwang.assessment.selectors import report

    rep = report(run)
    assert str(rep.stats["change"]["mean"]) == "2.00"
    assert any("平均指数提高了2.00（上一轮为75.00）" in p for p in rep.narrative)


@pytest.mark.django_db(transaction=True)
def test_platform_data_of_another_deployment_through_its_api(live_server: object) -> None:
    make_region("330100", "杭州市")
    round_ = services.create_round("远程轮", actor=None, subject_kind="city")
    services.set_subject(round_, "330100", "杭州市", actor=None, platform=live_server.url)  # type: ignore[attr-defined]
    services.set_subject(round_, "330200", "宁波市", actor=None, platform="http://127.0.0.1:9")
    run = services.run_round(round_, actor=None)
    hangzhou = run.results.get(region_code="330100").leaves.get(indicator="B1.4")
    assert hangzhou.evidence["remote"].endswith("/api/assessment/platform/330100")
    ningbo = run.results.get(region_code="330200").leaves.get(indicator="B2.1")
    assert ningbo.score is None and ningbo.reason.startswith(
        "无法从 http://127.0.0.1:9/api/assessment/platform/330200 获取平台数据"
    )


def test_self_assessment_task_and_command() -> None:
    make_region("330000", "浙江省")
    with override_settings(YIWANG_REGION_CODE="330000"):
        result = self_assessment()
        err = io.StringIO()
        call_command("assess", "self", stderr=err)
    assert result["run"] == 1
    round_ = Round.objects.get(is_self_assessment=True)
    assert Run.objects.filter(round=round_).count() == 2
    assert round_.subjects.get().platform == "local"
