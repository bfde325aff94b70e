"""Catalogue import/export: JSON and XLSX round trips, idempotent re-import, validation of bad input."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.factories import (
    make_basic_item,
    make_guide,
    make_implementation,
    make_organisation,
    make_person_theme,
    make_region,
    make_theme,
)
from yiwang.catalog import codes, exchange, services
from yiwang.catalog.models import (
    BasicItem,
    Bundle,
    BundleStatus,
    GuideStatus,
    GuideVersion,
    Implementation,
    PublicStatus,
    Theme,
)
from yiwang.core.models import AuditEntry, Organisation

pytestmark = pytest.mark.django_db


def publish(guide: GuideVersion) -> GuideVersion:
    return services.publish(services.submit(guide))


def build_catalogue() -> dict[str, Any]:
    """A small catalogue with every kind of row: nested organisations and basic items, a guide with
    variants/situations/materials tied to a situation, a published guide with an open draft, a withdrawn
    item, and a published bundle."""
    make_region("330106")
    parent_org = make_organisation(name="杭州市人民政府办公厅")
    org = make_organisation(parent=parent_org)
    other_org = make_organisation(region=make_region("330106"), name="西湖区市场监督管理局")
    main_item = make_basic_item(basic_code="000117112000", name="建设工程许可")
    sub_item = make_basic_item(basic_code="000117112001", name="建筑工程施工许可证核发", parent=main_item)
    person_theme = make_person_theme()

    first = make_guide(
        implementation=make_implementation(sub_item, org), change_note="首次发布", aliases="施工证"
    )
    first.joint_organisations.set([other_org])
    services.set_parts(
        first,
        variants=[{"code_suffix": "01", "name": "新办"}, {"code_suffix": "02", "name": "变更"}],
        situations=[
            {"name": "新建项目", "description": "首次申请", "variant": "01"},
            {"name": "变更建设单位", "description": "", "variant": "02"},
        ],
        materials=[
            {"name": "建筑工程施工许可申请表", "original_count": 1, "issuing_body": "申请人"},
            {"name": "变更说明", "copy_count": 2, "situation": "变更建设单位", "issuing_body": "申请人"},
        ],
        fees=[
            {"name": "证书工本费", "standard": "每证10元", "amount": Decimal("10.50"), "basis": "测试依据"},
        ],
    )
    publish(first)
    Implementation.objects.filter(pk=first.implementation_id).update(popularity=42)

    second_impl = make_implementation(make_basic_item(), other_org)
    publish(make_guide(implementation=second_impl, themes=[make_theme(), person_theme]))
    draft = services.new_version(second_impl, change_note="调整办理时间")
    services.update_draft(
        draft, fields={"hours": "工作日 9:00–17:00", "planned_effective_date": "2030-01-01"}
    )

    third_impl = make_implementation(make_basic_item(), org)
    publish(make_guide(implementation=third_impl))
    services.withdraw(third_impl, reason="依据省政府文件取消")

    bundle = Bundle.objects.create(
        code="YJS-001",
        name="开办建筑企业一件事",
        audience=codes.Audience.ENTERPRISE,
        lead_organisation=org,
        region=org.region,
        promised_limit=5,
    )
    bundle.themes.set([make_theme()])
    services.set_bundle_members(bundle, [first.implementation, second_impl])
    services.publish_bundle(bundle)
    return exchange.export_document(include_drafts=True)


def wipe_catalogue() -> None:
    """Empty every catalogue table and the organisations (regions stay), as on a new node."""
    Bundle.objects.all().delete()
    Implementation.objects.update(published_version=None)
    GuideVersion.objects.all().delete()
    Implementation.objects.all().delete()
    BasicItem.objects.filter(parent__isnull=False).delete()
    BasicItem.objects.all().delete()
    Theme.objects.all().delete()
    Organisation.objects.filter(parent__isnull=False).delete()
    Organisation.objects.all().delete()


def test_json_round_trip_into_an_empty_database() -> None:
    exported = build_catalogue()
    assert [e["status"] for e in exported["implementations"]].count("draft") == 1
    assert {e["status"] for e in exported["implementations"]} == {"published", "draft", "withdrawn"}
    assert exchange.normalise_document(exported) == exported  # export spells every value the normal way

    wipe_catalogue()
    report = exchange.import_document(copy.deepcopy(exported))

    assert report.created["implementations"] == 3
    assert report.created["organisations"] == 3
    assert exchange.export_document(include_drafts=True) == exported
    assert Bundle.objects.get(code="YJS-001").status == BundleStatus.PUBLISHED
    withdrawn = Implementation.objects.get(public_status=PublicStatus.WITHDRAWN)
    assert withdrawn.versions.get().status_reason == "依据省政府文件取消"


def test_reimporting_the_same_document_changes_nothing_and_keeps_the_marker() -> None:
    from yiwang.catalog import readcache

    exported = build_catalogue()
    before = readcache.read_marker()
    report = exchange.import_document(copy.deepcopy(exported))
    assert not report.changed and report.unchanged["implementations"] == 3
    assert readcache.read_marker() == before  # every process's API cache stays warm
    exported["organisations"][0]["name"] += "（新）"
    assert exchange.import_document(copy.deepcopy(exported)).changed
    assert readcache.read_marker() > before  # a new organisation name shows in cached answers too


def test_export_without_drafts_and_filtered_export_is_self_contained() -> None:
    build_catalogue()
    public = exchange.export_document()
    assert "draft" not in {e["status"] for e in public["implementations"]}

    west_lake = exchange.export_document(region_code="330106")
    assert len(west_lake["implementations"]) == 1
    assert [o["name"] for o in west_lake["organisations"]] == ["西湖区市场监督管理局"]
    assert west_lake["bundles"] == []  # its other member is outside the region

    wipe_catalogue()
    exchange.import_document(west_lake)
    assert Implementation.objects.get().public_status == PublicStatus.PUBLISHED


def test_xlsx_round_trip_gives_back_the_same_document() -> None:
    exported = build_catalogue()
    exported["implementations"][0]["guide"]["faqs"].append(
        {"question": "=1+1 会被当成公式吗？", "answer": "不会，文字原样保存。"}
    )
    data = exchange.export_xlsx(exported)
    assert zipfile.is_zipfile(io.BytesIO(data))
    assert exchange.import_xlsx(data) == exported
    assert exchange.load_document_bytes(data) == exported


def test_second_import_changes_nothing() -> None:
    exported = build_catalogue()
    wipe_catalogue()
    exchange.import_document(copy.deepcopy(exported))
    versions = GuideVersion.objects.count()
    audit_rows = AuditEntry.objects.count()

    report = exchange.import_document(copy.deepcopy(exported))

    assert not report.changed
    assert sum(report.created.values()) == sum(report.updated.values()) == 0
    assert report.unchanged["guides"] == 4
    assert GuideVersion.objects.count() == versions
    assert AuditEntry.objects.count() == audit_rows


def test_a_changed_guide_becomes_the_next_published_version() -> None:
    exported = build_catalogue()
    entry = next(e for e in exported["implementations"] if e["popularity"] == 42)
    entry["guide"]["promised_limit"] = 6
    impl = Implementation.objects.get(implementation_code=entry["implementation_code"])

    report = exchange.import_document(exported)

    assert report.created["guides"] == 1
    versions = {v.version: v.status for v in impl.versions.all()}
    assert versions == {1: GuideStatus.SUPERSEDED, 2: GuideStatus.PUBLISHED}
    impl.refresh_from_db()
    assert impl.published_version is not None and impl.published_version.promised_limit == 6
    assert impl.published_version.materials.filter(situation__name="变更建设单位").count() == 1


def test_draft_entries_are_imported_as_drafts_with_their_findings() -> None:
    exported = build_catalogue()
    wipe_catalogue()
    entry = exported["implementations"][0]
    entry["status"] = "draft"
    entry["guide"]["consultation_phone"] = ""
    exported["bundles"] = []

    exchange.import_document(exported)

    guide = GuideVersion.objects.get(implementation__implementation_code=entry["implementation_code"])
    assert guide.status == GuideStatus.DRAFT
    assert guide.blocking_findings >= 1
    assert "completeness.consultation_phone" in {f["rule"] for f in guide.quality_findings}


def test_every_problem_is_reported_at_once_with_its_location() -> None:
    exported = build_catalogue()
    wipe_catalogue()
    doc = copy.deepcopy(exported)
    doc["organisations"][0]["region_code"] = "990000"
    doc["organisations"][1]["uscc"] = "123"
    impl = doc["implementations"][1]
    impl["basic_code"] = "NOPE"
    impl["guide"]["favourite_colour"] = "红"
    impl["guide"]["service_objects"] = ["1", "7"]
    impl["guide"]["materials"][0]["name"] = ""
    impl["guide"]["materials"][0]["colour"] = "蓝"
    impl["guide"]["promised_limit"] = "五天"
    doc["bundles"][0]["members"].append("NO-SUCH-ITEM")

    with pytest.raises(exchange.ImportFailed) as failed:
        exchange.import_document(doc)

    errors = "\n".join(failed.value.report.errors)
    for location in (
        "organisations[0].region_code",
        "organisations[1].uscc",
        "implementations[1].guide.favourite_colour",
        "implementations[1].guide.service_objects",
        "implementations[1].guide.materials[0].name",
        "implementations[1].guide.materials[0].colour",
        "implementations[1].guide.promised_limit",
    ):
        assert f"{location}:" in errors, location
    assert "990000" in errors and "统一社会信用代码应为18位" in errors
    assert Organisation.objects.count() == 0 and Implementation.objects.count() == 0


def test_reference_errors_are_collected_after_the_field_checks_pass() -> None:
    exported = build_catalogue()
    wipe_catalogue()
    exported["implementations"][1]["basic_code"] = "NOPE"
    exported["bundles"][0]["members"].append("NO-SUCH-ITEM")
    exported["organisations"][0]["region_code"] = "990000"

    with pytest.raises(exchange.ImportFailed) as failed:
        exchange.import_document(exported)

    errors = failed.value.report.errors
    assert any(e.startswith("implementations[1].basic_code:") and "NOPE" in e for e in errors)
    assert any(e.startswith("bundles[0].members[2]:") for e in errors)
    assert any(e.startswith("organisations[0].region_code:") and "yiwang regions load" in e for e in errors)


def test_a_refused_publication_rolls_the_whole_import_back() -> None:
    exported = build_catalogue()
    wipe_catalogue()
    entries = exported["implementations"]
    draft_code = next(e["implementation_code"] for e in entries if e["status"] == "draft")
    index, entry = next(
        (i, e)
        for i, e in enumerate(entries)
        if e["implementation_code"] == draft_code and e["status"] == "published"
    )
    entry["guide"]["place"] = ""  # blocking: 必须填写办理地点; its draft entry comes after it

    with pytest.raises(exchange.ImportFailed) as failed:
        exchange.import_document(exported)

    assert any(f"implementations[{index}]" in e and "办理地点" in e for e in failed.value.report.errors)
    assert Implementation.objects.count() == 0 and Organisation.objects.count() == 0


def test_wrong_format_string_is_refused() -> None:
    with pytest.raises(exchange.ImportFailed) as failed:
        exchange.import_document({"format": "something/2"})
    assert failed.value.report.errors[0].startswith("format:")


def test_a_csv_renamed_to_xlsx_is_refused_with_a_clear_message() -> None:
    csv = "实施编码,事项名称\n123,测试\n".encode()
    with pytest.raises(exchange.ExchangeError, match=r"不是 Excel 工作簿.*CSV"):
        exchange.import_xlsx(csv)
    with pytest.raises(exchange.ExchangeError, match="既不是 Excel"):
        exchange.load_document_bytes(b"\xff\xfe\x00garbage")

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(exchange.ExchangeError, match="不是 Excel 工作簿"):
        exchange.import_xlsx(archive.getvalue())


def test_a_workbook_without_the_expected_sheets_is_refused() -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "Sheet1"
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(exchange.ExchangeError, match="缺少这些工作表：机构"):
        exchange.import_xlsx(out.getvalue())


def test_bad_cells_in_a_workbook_are_reported_by_sheet_and_row() -> None:
    from openpyxl import load_workbook

    data = exchange.export_xlsx(build_catalogue())
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["实施清单"]
    popularity_column = [c.value for c in sheet[2]].index("popularity") + 1
    sheet.cell(row=3, column=popularity_column, value="很多")
    materials = workbook["申请材料"]
    materials.cell(row=3, column=1, value="NO-SUCH-CODE")
    out = io.BytesIO()
    workbook.save(out)

    with pytest.raises(exchange.ImportFailed) as failed:
        exchange.import_xlsx(out.getvalue())

    errors = "\n".join(failed.value.report.errors)
    assert "实施清单 第3行 popularity（热度）: 应为整数" in errors
    assert "申请材料 第3行: 实施编码 NO-SUCH-CODE" in errors


# --- the `yiwang catalog` command -----------------------------------------------------------------


def test_catalog_command_exports_and_imports_xlsx_and_json(tmp_path: Any) -> None:
    exported = build_catalogue()
    workbook, document = tmp_path / "catalogue.xlsx", tmp_path / "catalogue.json"
    out = io.StringIO()
    call_command(
        "catalog", "export", "--format", "xlsx", "--output", str(workbook), "--include-drafts", stdout=out
    )
    call_command("catalog", "export", "--output", str(document), "--region", "330106", stdout=out)
    assert "已导出到" in out.getvalue()
    assert json.loads(document.read_text(encoding="utf-8"))["format"] == exchange.FORMAT

    wipe_catalogue()
    out = io.StringIO()
    call_command("catalog", "import", str(workbook), stdout=out)
    assert "实施清单事项：新增 3" in out.getvalue()
    assert exchange.export_document(include_drafts=True) == exported

    out = io.StringIO()
    call_command("catalog", "import", str(workbook), stdout=out)
    assert "没有需要更新的内容" in out.getvalue()


def test_catalog_command_reports_every_error_and_changes_nothing(tmp_path: Any) -> None:
    exported = build_catalogue()
    wipe_catalogue()
    exported["implementations"][0]["guide"]["colour"] = "红"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")
    err = io.StringIO()

    with pytest.raises(CommandError, match="数据库未作任何修改"):
        call_command("catalog", "import", str(path), stderr=err)

    assert "implementations[0].guide.colour" in err.getvalue()
    assert Implementation.objects.count() == 0

    renamed = tmp_path / "really-a.csv.xlsx"
    renamed.write_text("实施编码,名称\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="既不是 Excel"):
        call_command("catalog", "import", str(renamed))


def test_catalog_check_lists_findings_and_fails_on_flawed_published_versions() -> None:
    draft = make_guide(place="")
    published = services.publish(services.submit(make_guide()))
    out = io.StringIO()

    call_command("catalog", "check", stdout=out)
    text = out.getvalue()
    assert "[必须改正] “办理地点”未填写" in text and "共检查 1 个版本" in text
    draft.refresh_from_db()
    assert draft.blocking_findings >= 1  # stored on the draft

    GuideVersion.objects.filter(pk=published.pk).update(supervision_phone="")  # rules tightened since
    with pytest.raises(CommandError, match="已发布的版本中有 1 个"):
        call_command("catalog", "check", "--all", stdout=io.StringIO())
    published.refresh_from_db()
    assert published.quality_findings == []  # a published version is never written to


def test_catalog_withdraw_command() -> None:
    guide = services.publish(services.submit(make_guide()))
    code = guide.implementation.implementation_code

    call_command("catalog", "withdraw", code, "--reason", "依据文件取消", stdout=io.StringIO())

    assert Implementation.objects.get(pk=guide.implementation_id).public_status == PublicStatus.WITHDRAWN
    with pytest.raises(CommandError, match="没有已发布的版本"):
        call_command("catalog", "withdraw", code, "--reason", "再次")


# --- demo loading ---------------------------------------------------------------------------------


def demo_subset() -> dict[str, Any]:
    """The demo document cut down to its flawed drafts and one bundle with its members (fast to import)."""
    from yiwang.catalog.demo import build_document

    doc = build_document()
    bundle = doc["bundles"][0]
    keep = set(bundle["members"])
    doc["implementations"] = [
        e for e in doc["implementations"] if e["status"] != "published" or e["implementation_code"] in keep
    ]
    doc["bundles"] = [bundle]
    return doc


def test_demo_drafts_show_their_expected_findings_and_a_second_load_changes_nothing() -> None:
    make_region("330000")
    from yiwang.core.services import load_regions

    load_regions()
    doc = demo_subset()

    exchange.import_document(copy.deepcopy(doc))

    drafts = [e for e in doc["implementations"] if e["status"] == "draft"]
    assert drafts
    for entry in drafts:
        guide = GuideVersion.objects.get(implementation__implementation_code=entry["implementation_code"])
        assert guide.status == GuideStatus.DRAFT
        rules = {f["rule"] for f in guide.quality_findings}
        assert set(entry["expected_findings"]) <= rules, entry["implementation_code"]
    assert Bundle.objects.get(code=doc["bundles"][0]["code"]).status == BundleStatus.PUBLISHED

    audit_rows = AuditEntry.objects.count()
    report = exchange.import_document(copy.deepcopy(doc))
    assert not report.changed and AuditEntry.objects.count() == audit_rows


def test_demo_accounts_are_created_once_with_passwords_outside_the_repository(
    tmp_path: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yiwang.accounts.models import Membership, Role, User
    from yiwang.core.management.commands.demo import demo_accounts, ensure_accounts

    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast in tests
    monkeypatch.delenv("YIWANG_DEMO_PASSWORD", raising=False)
    org = make_organisation()
    other = make_organisation()
    doc = {
        "organisations": [
            {"uscc": org.uscc, "name": org.name, "short_name": "市住建局", "kind": "department"},
            {"uscc": other.uscc, "name": other.name, "short_name": "", "kind": "department"},
        ],
        "implementations": [{"organisation_uscc": org.uscc}, {"organisation_uscc": other.uscc}],
    }
    accounts = demo_accounts(doc)
    assert [a.username for a in accounts] == [
        "admin",
        "catalog_editor1",
        "catalog_reviewer1",
        "catalog_editor2",
        "catalog_reviewer2",
    ]

    path = ensure_accounts(accounts)

    assert path == tmp_path / "demo-accounts.txt" and oct(path.stat().st_mode)[-3:] == "600"
    passwords = dict(
        line.split("\t")[:2] for line in path.read_text().splitlines() if not line.startswith("#")
    )
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(passwords["admin"])
    editor = User.objects.get(username="catalog_editor1")
    assert editor.is_staff and not editor.is_superuser and editor.check_password(passwords["catalog_editor1"])
    assert Membership.objects.filter(user=editor, organisation=org, role=Role.CATALOG_EDITOR).exists()

    hashes = dict(User.objects.values_list("username", "password"))
    ensure_accounts(accounts)  # again: nothing changes
    assert dict(User.objects.values_list("username", "password")) == hashes
    assert Membership.objects.count() == 4

    monkeypatch.setenv("YIWANG_DEMO_PASSWORD", "演示密码-2025-demo")
    ensure_accounts(accounts)
    assert User.objects.get(username="catalog_reviewer2").check_password("演示密码-2025-demo")
