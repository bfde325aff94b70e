"""The open licences a dataset may carry (CKAN's license_list): well-known open licences plus the
deploying platform's own terms of use. Titles are Chinese; ids and URLs are the licences' own."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class License:
    id: str
    title: str | Promise
    url: str
    od_conformance: str = "approved"


LICENSES: tuple[License, ...] = (
    License(
        "cc-by-4.0", _("知识共享 署名 4.0 国际（CC BY 4.0）"), "https://creativecommons.org/licenses/by/4.0/"
    ),
    License(
        "cc0-1.0", _("知识共享 CC0 1.0 公共领域贡献"), "https://creativecommons.org/publicdomain/zero/1.0/"
    ),
    License("odc-by", _("开放数据共用 署名许可（ODC-By）"), "https://opendatacommons.org/licenses/by/1-0/"),
    License("odc-odbl", _("开放数据库许可（ODbL）"), "https://opendatacommons.org/licenses/odbl/1-0/"),
    License("platform-terms", _("本平台开放数据使用协议"), "/opendata/terms", od_conformance="not reviewed"),
)
BY_ID = {licence.id: licence for licence in LICENSES}


def choices() -> list[tuple[str, str]]:
    return [(licence.id, str(licence.title)) for licence in LICENSES]
