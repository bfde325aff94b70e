"""Uploaded tables are checked by their bytes with precise errors; the life cycle is guarded and audited."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook

from accounts.identity_factories import make_staff
from catalog.factories import make_organisation
from opendata.opendata_factories import csv_bytes, make_dataset
from yiwang.accounts.models import Role
from yiwang.core.models import AuditEntry
from yiwang.opendata import services, tables
from yiwang.opendata.models import DatasetStatus, DatasetTerm, ResourceFormat

MB = 1_048_576


def inspect(data: bytes, fmt: str = ResourceFormat.CSV) -> tables.TableInfo:
    return tables.inspect(data, fmt, max_bytes=MB)


def message(data: bytes, fmt: str = ResourceFormat.CSV) -> str:
    with pytest.raises(ValidationError) as caught:
        inspect(data, fmt)
    return caught.value.messages[0]


def test_csv_in_utf8_and_gb18030_is_read_with_header_and_row_count() -> None:
    info = inspect(csv_bytes(4))
    assert (info.encoding, info.columns, info.row_count) == ("utf-8", ["站点名称", "线路数", "所在区"], 4)
    assert info.preview[0] == ["站点0", "1", "西湖区"]
    assert inspect(csv_bytes(2, encoding="gb18030")).encoding == "gb18030"
    assert inspect("\ufeff".encode() + csv_bytes(1)).columns[0] == "站点名称"  # BOM from Excel


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "文件是空的"),
        ("名称,名称\n甲,乙\n".encode(), "列名“名称”重复（第 1 列和第 2 列）"),
        ("名称,,区\n甲,乙,丙\n".encode(), "表头第 2 列的列名为空"),
        ("名称,区\n甲,乙\n丙\n".encode(), "第 3 行有 1 列，表头有 2 列"),
        (b"\xff\xfe\x00a\x00b", "不是文本表格"),
        ("名称\n".encode("utf-16-le")[:7] + b"\x81\x30", "不是文本表格"),
        (b"PK\x03\x04rest", "与所选格式 CSV 不符"),
    ],
)
def test_bad_csv_gets_a_precise_error(data: bytes, expected: str) -> None:
    assert expected in message(data)


def test_undecodable_bytes_ask_for_utf8() -> None:
    assert "无法识别文件编码" in message(b"\x80\x81\xfe\xff,abc\n")


def test_xlsx_is_checked_by_content() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["区县", "人口（万）"])
    sheet.append(["西湖区", 120])
    sheet.append([None, None])
    sheet.append(["上城区", 133])
    buffer = io.BytesIO()
    book.save(buffer)
    info = inspect(buffer.getvalue(), ResourceFormat.XLSX)
    assert info.columns == ["区县", "人口（万）"] and info.row_count == 2
    assert "不是 XLSX 表格" in message(csv_bytes(), ResourceFormat.XLSX)


def test_json_records_and_errors() -> None:
    info = inspect('[{"名称": "甲", "数量": 1}, {"名称": "乙", "数量": 2}]'.encode(), ResourceFormat.JSON)
    assert info.row_count == 2 and info.columns == ["名称", "数量"]
    assert "JSON 格式错误（第 1 行" in message(b'[{"a": 1,]', ResourceFormat.JSON)


def test_size_limit() -> None:
    with pytest.raises(ValidationError, match="不能超过 1 MB"):
        tables.inspect(b"a,b\n" + b"1,2\n" * 300_000, ResourceFormat.CSV, max_bytes=MB)


@pytest.mark.django_db
def test_publish_needs_a_resource_and_withdraw_needs_a_reason() -> None:
    dataset = make_dataset(formats=(), publish=False)
    with pytest.raises(ValidationError, match="还没有任何资源"):
        services.publish(dataset, actor=None)
    services.add_resource(dataset, actor=None, name="表", format=ResourceFormat.CSV, data=csv_bytes())
    services.publish(dataset, actor=None)
    assert DatasetTerm.objects.filter(dataset=dataset, field="res_format", value="CSV").exists()
    with pytest.raises(ValidationError):
        services.withdraw(dataset, actor=None, reason=" ")
    dataset = services.withdraw(dataset, actor=None, reason="数据有误，更正后再发布")
    assert dataset.status == DatasetStatus.WITHDRAWN
    assert not DatasetTerm.objects.filter(dataset=dataset).exists()
    with pytest.raises(ValidationError, match="不能执行此操作"):
        services.withdraw(dataset, actor=None, reason="再撤一次")
    actions = list(AuditEntry.objects.filter(object_type="opendata.Dataset").values_list("action", flat=True))
    assert "opendata.dataset.publish" in actions and "opendata.dataset.withdraw" in actions


@pytest.mark.django_db
def test_only_the_organisations_editors_may_manage() -> None:
    mine = make_organisation()
    other = make_organisation()
    editor = make_staff(mine, Role.CATALOG_EDITOR)
    window = make_staff(mine, Role.WINDOW)
    data = services.DatasetInput(name="stations", title="站点", organisation=mine, license_id="cc-by-4.0")
    with pytest.raises(PermissionDenied):
        services.create_dataset(data, actor=window)
    dataset = services.create_dataset(data, actor=editor)
    assert dataset.organisation == mine
    with pytest.raises(PermissionDenied):
        services.create_dataset(
            services.DatasetInput(name="x2", title="站点", organisation=other, license_id="cc-by-4.0"),
            actor=editor,
        )


@pytest.mark.django_db
def test_field_errors_are_specific() -> None:
    organisation = make_organisation()
    make_dataset(organisation, name="taken")
    data = services.DatasetInput(
        name="taken",
        title="",
        organisation=organisation,
        license_id="gpl",
        themes=("nope",),
        tags=("x" * 51,),
    )
    with pytest.raises(ValidationError) as caught:
        services.create_dataset(data, actor=None)
    errors = caught.value.message_dict
    assert set(errors) == {"name", "title", "license_id", "themes", "tags"}
    assert "已被其他数据集使用" in errors["name"][0]
    assert "cc-by-4.0" in errors["license_id"][0]
