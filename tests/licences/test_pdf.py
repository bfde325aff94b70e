"""The PDF's text extracts as the right Chinese (pypdf), in both templates."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from licences.licence_factories import issue_to, make_type
from yiwang.licences import rendering
from yiwang.licences.models import LicenceTemplate

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("template", [LicenceTemplate.PERMIT, LicenceTemplate.CERTIFICATE])
def test_pdf_text_is_chinese_and_complete(template: str) -> None:
    licence = issue_to(licence_type=make_type(template=template))
    reader = PdfReader(io.BytesIO(rendering.render_pdf(licence)))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for expected in (
        "建筑工程施工许可证",
        "电子证照",
        "持证主体",
        licence.holder_name,
        licence.holder_id_masked,
        "住所",
        "杭州市西湖区文三路100号",
        "许可事项",
        "新建住宅楼施工",
        licence.issuer.name,
        "扫码核验真伪",
        licence.identifier,
    ):
        assert expected in text, expected
    info = reader.metadata
    assert info is not None and info.subject == licence.identifier
    assert str(info.get("/Keywords", "")).startswith("YWLIC1.")
    # the full resident ID is nowhere in the file
    from yiwang.licences import content, selectors

    assert selectors.full_field_values(licence)[content.HOLDER_ID] not in text
