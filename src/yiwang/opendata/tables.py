"""Checks an uploaded table by its bytes before it is published: format, encoding, header, rows.

Every error names the row or column and says how to fix it, because the person uploading is usually a
department clerk with a spreadsheet, not a data engineer.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from yiwang.opendata.models import ResourceFormat

# Chinese government spreadsheets are exported as UTF-8 (with or without BOM) or GB18030 (GBK's superset).
ENCODINGS = ("utf-8-sig", "gb18030")
PREVIEW_ROWS = 10


@dataclass
class TableInfo:
    format: str
    encoding: str = ""
    columns: list[str] = field(default_factory=list)
    row_count: int | None = None
    preview: list[list[str]] = field(default_factory=list)
    mimetype: str = ""


def _decode(data: bytes) -> tuple[str, str]:
    if b"\x00" in data[:8192]:
        raise ValidationError(
            _("文件不是文本表格（含有二进制内容）：CSV 文件请另存为“CSV UTF-8（逗号分隔）”。")
        )
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), ("utf-8" if encoding == "utf-8-sig" else encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("无法识别文件编码：请将表格另存为 UTF-8 或 GB18030 编码的 CSV 后重新上传。"))


def _check_header(header: list[str]) -> list[str]:
    columns = [cell.strip() for cell in header]
    if not any(columns):
        raise ValidationError(_("第 1 行（表头）为空：第一行应是各列的列名。"))
    seen: dict[str, int] = {}
    for index, name in enumerate(columns, start=1):
        if not name:
            raise ValidationError(_("表头第 %(col)d 列的列名为空：请为每一列填写列名。") % {"col": index})
        if name in seen:
            raise ValidationError(
                _("列名“%(name)s”重复（第 %(a)d 列和第 %(b)d 列）：列名不能相同。")
                % {"name": name, "a": seen[name], "b": index}
            )
        seen[name] = index
    return columns


def _csv(data: bytes) -> TableInfo:
    text, encoding = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationError(_("文件是空的：CSV 至少要有一行表头。")) from None
    except csv.Error as exc:
        raise ValidationError(_("第 1 行无法按 CSV 解析：%(e)s。") % {"e": exc}) from None
    columns = _check_header(header)
    rows = 0
    preview: list[list[str]] = []
    try:
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue  # blank lines (often at the end) are not rows
            rows += 1
            if len(row) != len(columns):
                raise ValidationError(
                    _("第 %(line)d 行有 %(got)d 列，表头有 %(want)d 列：请检查这一行是否多了或少了逗号。")
                    % {"line": reader.line_num, "got": len(row), "want": len(columns)}
                )
            if len(preview) < PREVIEW_ROWS:
                preview.append(row)
    except csv.Error as exc:
        raise ValidationError(
            _("第 %(line)d 行无法按 CSV 解析：%(e)s。") % {"line": reader.line_num, "e": exc}
        ) from None
    return TableInfo(ResourceFormat.CSV, encoding, columns, rows, preview, "text/csv")


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _xlsx(data: bytes) -> TableInfo:
    from openpyxl import load_workbook

    if not data.startswith(b"PK") or not _is_xlsx_zip(data):
        raise ValidationError(_("文件内容不是 XLSX 表格：请用 Excel 或 WPS 另存为“Excel 工作簿（*.xlsx）”。"))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise ValidationError(_("XLSX 文件已损坏，无法读取：%(e)s。") % {"e": exc}) from None
    sheet = workbook.worksheets[0]
    rows_iter = sheet.iter_rows(values_only=True)
    try:
        header = [_cell(value) for value in next(rows_iter)]
    except StopIteration:
        raise ValidationError(_("第一个工作表是空的：至少要有一行表头。")) from None
    while header and not header[-1].strip():
        header.pop()  # Excel pads rows with empty trailing cells
    columns = _check_header(header)
    rows = 0
    preview: list[list[str]] = []
    for line, values in enumerate(rows_iter, start=2):
        cells = [_cell(value) for value in values]
        if all(not cell.strip() for cell in cells):
            continue
        if any(cell.strip() for cell in cells[len(columns) :]):
            raise ValidationError(
                _("第 %(line)d 行在表头之外还有内容（表头只有 %(want)d 列）：请删除多余的单元格或补上列名。")
                % {"line": line, "want": len(columns)}
            )
        rows += 1
        if len(preview) < PREVIEW_ROWS:
            preview.append((cells + [""] * len(columns))[: len(columns)])
    workbook.close()
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return TableInfo(ResourceFormat.XLSX, "", columns, rows, preview, mimetype)


def _is_xlsx_zip(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _json(data: bytes) -> TableInfo:
    text, encoding = _decode(data)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            _("JSON 格式错误（第 %(line)d 行第 %(col)d 列）：%(msg)s。")
            % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}
        ) from None
    info = TableInfo(ResourceFormat.JSON, encoding, mimetype="application/json")
    if isinstance(value, list):
        info.row_count = len(value)
        if value and all(isinstance(record, dict) for record in value):
            info.columns = [str(key) for key in value[0]]
            info.preview = [
                [_cell(record.get(key)) for key in info.columns] for record in value[:PREVIEW_ROWS]
            ]
    return info


def inspect(data: bytes, declared_format: str, *, max_bytes: int) -> TableInfo:
    """Validate `data` as `declared_format` (CSV, XLSX or JSON) and describe it, or raise ValidationError."""
    if not data:
        raise ValidationError(_("文件是空的。"))
    if len(data) > max_bytes:
        raise ValidationError(
            _("文件过大（%(size).1f MB）：单个文件不能超过 %(limit)d MB。")
            % {"size": len(data) / 1_048_576, "limit": max_bytes // 1_048_576}
        )
    readers = {ResourceFormat.CSV: _csv, ResourceFormat.XLSX: _xlsx, ResourceFormat.JSON: _json}
    reader = readers.get(declared_format)  # type: ignore[call-overload]
    if reader is None:
        raise ValidationError(_("上传文件的格式应为 CSV、XLSX 或 JSON。"))
    if declared_format != ResourceFormat.XLSX and data.startswith(b"PK"):
        raise ValidationError(
            _("文件内容是压缩包或 XLSX 表格，与所选格式 %(f)s 不符。") % {"f": declared_format}
        )
    info: TableInfo = reader(data)
    return info
