"""The assessment pages: an evaluator creates a round, runs it, reads the report, drills into evidence and
downloads the exports; others see only published rounds; the public API serves the same numbers."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from accounts.identity_factories import make_person, make_staff
from catalog.factories import make_organisation, make_region
from yiwang.accounts.models import Role
from yiwang.assessment import services
from yiwang.assessment.models import Round

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: object) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture
def evaluator_client() -> Client:
    province = make_region("330000", "浙江省")
    make_region("330100", "杭州市", parent=province)
    make_region("330200", "宁波市", parent=province)
    evaluator = make_staff(make_organisation(province), Role.EVALUATOR, subtree=True)
    client = Client()
    client.force_login(evaluator)
    return client


def test_evaluator_creates_runs_and_drills_down(evaluator_client: Client) -> None:
    response = evaluator_client.post(
        reverse("assessment:index"),
        {
            "name": "2025 市级",
            "subject_kind": "city",
            "regions": "330000",
            "children": "on",
            "unmeasured_policy": "zero",
            "mode": "absolute",
        },
    )
    round_ = Round.objects.get(name="2025 市级")
    assert response.status_code == 302 and response["Location"] == reverse(
        "assessment:round", args=[round_.pk]
    )
    assert sorted(round_.subjects.values_list("region_code", flat=True)) == ["330100", "330200"]
    response = evaluator_client.post(reverse("assessment:run", args=[round_.pk]))
    assert response.status_code == 302
    report = evaluator_client.get(response["Location"])
    text = report.content.decode()
    assert "本轮评估共覆盖2个重点城市" in text
    assert "<svg" in text and "五个一级指标得分雷达图" not in text  # titled per region
    region = evaluator_client.get(reverse("assessment:region", args=[round_.pk, "330100"]))
    assert "B2.1 指南覆盖率" in region.content.decode()
    leaf = evaluator_client.get(reverse("assessment:leaf", args=[round_.pk, "330100", "B2.1"]))
    assert leaf.status_code == 200 and "该地区没有实施清单事项" in leaf.content.decode()
    xlsx = evaluator_client.get(reverse("assessment:export", args=[round_.pk, "xlsx"]))
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames[:3] == ["排名", "统计", "指标平均"]
    pdf = evaluator_client.get(reverse("assessment:export", args=[round_.pk, "pdf"]))
    assert pdf.content.startswith(b"%PDF")


def test_drafts_are_hidden_from_the_public_until_published(evaluator_client: Client) -> None:
    round_ = services.create_round("草稿轮", actor=None)
    services.set_subject(round_, "110000", "北京市", actor=None)
    services.import_scores("草稿轮", [["region", "name", "total"], ["110000", "北京市", "88"]], actor=None)
    services.run_round(round_, actor=None)
    public = Client()
    assert public.get(reverse("assessment:report", args=[round_.pk])).status_code == 404
    assert "草稿轮" not in public.get(reverse("assessment:index")).content.decode()
    services.publish_round(round_, actor=None)
    assert public.get(reverse("assessment:report", args=[round_.pk])).status_code == 200
    body = public.get(f"/api/assessment/rounds/{round_.pk}/report").json()
    assert body["mean"] == 88.0 and body["ranking"][0]["grade"] == "高"


def test_people_without_the_evaluator_role_cannot_set_up_rounds() -> None:
    person = make_person()
    client = Client()
    client.force_login(person)
    assert client.post(reverse("assessment:index"), {"name": "x"}).status_code == 403
    round_ = services.create_round("别人的轮", actor=None)
    assert client.get(reverse("assessment:round", args=[round_.pk])).status_code == 403


def test_a_bad_upload_lists_its_problems(evaluator_client: Client) -> None:
    round_ = services.create_round("上传轮", actor=None)
    upload = io.BytesIO("region,name,total\n99,北京,120\n".encode())
    upload.name = "bad.csv"
    response = evaluator_client.post(
        reverse("assessment:round", args=[round_.pk]), {"op": "upload", "u-kind": "scores", "u-file": upload}
    )
    text = response.content.decode()
    assert "第2行：region“99”应为6位行政区划代码" in text
    assert "第2行 total 列：得分 120 超出 0–100" in text


def test_questionnaire_template_lists_questionnaire_leaves() -> None:
    text = Client().get(reverse("assessment:template")).content.decode("utf-8-sig")
    assert text.splitlines()[0] == "region,respondent,indicator,item,answer"
    assert {line.split(",")[2] for line in text.splitlines()[1:]} == {"A2.4", "A3.4", "E3.4", "E4.4"}


def test_self_assessment_page_recomputes_and_lists_costly_leaves(
    evaluator_client: Client, settings: object
) -> None:
    settings.YIWANG_REGION_CODE = "330000"  # type: ignore[attr-defined]
    assert "还没有自评结果" in evaluator_client.get(reverse("assessment:self")).content.decode()
    assert evaluator_client.post(reverse("assessment:self")).status_code == 302
    text = evaluator_client.get(reverse("assessment:self")).content.decode()
    assert "失分最多的指标" in text and "当前指数" in text
    # leaves costing the most points first: nothing is measured here, so the 2.5-point leaves lead
    from yiwang.assessment.selfassessment import overview

    lost = [row["lost"] for row in overview()["costly"]]
    assert lost == sorted(lost, reverse=True) and str(lost[0]) == "2.50"
    assert "D1.1 网上可办率" in text


def test_trees_page_copies_and_refuses_an_invalid_edit(evaluator_client: Client) -> None:
    from yiwang.assessment.models import IndicatorTree

    evaluator_client.get(reverse("assessment:trees"))
    default = IndicatorTree.objects.get()
    evaluator_client.post(reverse("assessment:trees"), {"op": "copy", "tree": default.pk, "version": "v2"})
    copy = IndicatorTree.objects.get(version="v2")
    response = evaluator_client.post(
        reverse("assessment:trees"),
        {"op": "edit", "tree": copy.pk, "text": copy.text.replace("scoring: ratio", "scoring: cube", 1)},
    )
    assert "未知的评分规则“cube”" in response.content.decode()


def test_scores_from_an_xlsx_file() -> None:
    from openpyxl import Workbook

    from yiwang.assessment.importers import read_rows

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["region", "name", "total"])
    sheet.append([110000, "北京市", 91.5])
    out = io.BytesIO()
    book.save(out)
    round_, count = services.import_scores("XLSX 轮", read_rows(out.getvalue(), "scores.xlsx"), actor=None)
    assert count == 1
    assert str(services.run_round(round_, actor=None).results.get().total) == "91.50"
