"""CSV and XLSX downloads of dashboard tables and drill-down lists.

CSV is UTF-8 with a byte-order mark (Excel opens it as Chinese text) and streams row by row, so a long list
never sits in memory; XLSX uses openpyxl's write-only mode (one sheet per dashboard table).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse, StreamingHttpResponse

MAX_ROWS = 200_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _disposition(filename: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(filename)}"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(header)
        for index, row in enumerate(rows):
            if index >= MAX_ROWS:
                break
            yield writer.writerow(["" if v is None else v for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _disposition(filename)
    return response


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, int | float | str):
        return value
    return str(value)


def xlsx_response(
    filename: str, sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]
) -> HttpResponse:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append(list(header))
        for index, row in enumerate(rows):
            if index >= MAX_ROWS:
                break
            sheet.append([_cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = _disposition(filename)
    return response
