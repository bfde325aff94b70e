"""Server-side form validation from the guide's schema, and uploads checked by their bytes."""

from __future__ import annotations

from typing import Any

import pytest
from reportlab.lib.rl_accel import escapePDF

from cases.case_factories import (
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    Office,
    applicant,
    form_for,
    material,
    ofd_bytes,
    publish,
)
from yiwang.cases import documents, formschema, services
from yiwang.cases.errors import CaseError
from yiwang.cases.formschema import FormInvalid
from yiwang.cases.models import Case, CaseFile
from yiwang.cases.uploads import UploadRejected, inspect_upload
from yiwang.core.crypto import sm3_hex

pytestmark = pytest.mark.django_db


def test_schema_is_derived_from_the_guide() -> None:
    implementation = publish()
    guide = implementation.published_version
    assert guide is not None
    schema = formschema.form_schema_for(guide)
    assert schema["required"] == ["applicant_name", "contact_phone", "address", "application_matter"]
    enterprise_schema = formschema.form_schema_for(guide, for_enterprise=True)
    assert "enterprise_uscc" in enterprise_schema["required"]


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        ({"contact_phone": "12345"}, "contact_phone", "“联系电话”格式不正确"),
        ({"applicant_name": 42}, "applicant_name", "应为文字"),
        ({"address": "杭" * 201}, "address", "不能超过 200 个字"),
        ({"favourite_colour": "蓝"}, "__all__", "没有这些栏目：favourite_colour"),
    ],
)
def test_malformed_form_data_is_refused_field_by_field(data: dict[str, Any], field: str, text: str) -> None:
    person = applicant()
    with pytest.raises(FormInvalid) as caught:
        services.create_draft(publish(), applicant=person, form_data=data)
    assert field in caught.value.errors and text in "".join(caught.value.errors[field])
    assert not Case.objects.filter(applicant=person).exists()


def test_a_draft_may_be_partial_but_submission_needs_every_field() -> None:
    person = applicant()
    case = services.create_draft(publish(), applicant=person, form_data={"applicant_name": "张三"})
    services.update_draft(case, actor=person, form_data={"applicant_name": "张三", "address": "杭州市"})
    case.refresh_from_db()
    assert case.form_data == {"applicant_name": "张三", "address": "杭州市"}
    with pytest.raises(FormInvalid) as caught:
        services.submit(case, actor=person)
    assert caught.value.errors["contact_phone"] == ["请填写“联系电话”。"]
    assert "application_matter" in caught.value.errors
    with pytest.raises(FormInvalid, match="格式不正确"):
        services.update_draft(case, actor=person, form_data={"contact_phone": "abc"})
    assert formschema.prefill(person)["contact_phone"] == person.phone


def test_accepted_formats_by_content() -> None:
    assert inspect_upload("a.pdf", "application/pdf", PDF_BYTES).content_type == "application/pdf"
    assert inspect_upload("a.jpg", "image/jpeg", JPEG_BYTES).content_type == "image/jpeg"
    assert inspect_upload("a.png", "image/png", PNG_BYTES).content_type == "image/png"
    ofd = inspect_upload("a.ofd", "application/ofd", ofd_bytes())
    assert ofd.content_type == "application/ofd" and ofd.sm3 == sm3_hex(ofd_bytes())
    with pytest.raises(UploadRejected, match="不是可接受的格式"):
        inspect_upload("a.ofd", "application/ofd", ofd_bytes(with_root=False))  # a ZIP, but no OFD.xml


def test_png_renamed_to_pdf_and_declared_pdf_is_rejected() -> None:
    person = applicant()
    case = services.create_draft(publish(), applicant=person, form_data=form_for(person))
    form = material(case, "建筑工程施工许可申请表")
    with pytest.raises(UploadRejected, match="声明为 PDF，但内容实际是 PNG 图片"):
        services.upload_material(
            case, form, actor=person, name="申请表.pdf", content_type="application/pdf", data=PNG_BYTES
        )
    with pytest.raises(UploadRejected, match=r"扩展名 \.pdf 与内容（PNG 图片）不符"):
        services.upload_material(case, form, actor=person, name="申请表.pdf", content_type="", data=PNG_BYTES)
    assert not CaseFile.objects.exists()
    stored = services.upload_material(
        case, form, actor=person, name="申请表.png", content_type="image/png", data=PNG_BYTES
    )
    assert stored.sm3 == sm3_hex(PNG_BYTES) and stored.size == len(PNG_BYTES)
    assert stored.file.read() == PNG_BYTES


def test_oversized_files_are_rejected(settings: Any) -> None:
    settings.YIWANG_CASE_UPLOAD_MAX_BYTES = 1024
    with pytest.raises(UploadRejected, match="超过"):
        inspect_upload("big.pdf", "application/pdf", PDF_BYTES + b"0" * 2000)
    with pytest.raises(UploadRejected, match="空文件"):
        inspect_upload("empty.pdf", "application/pdf", b"")


def test_other_people_cannot_upload_to_a_case() -> None:
    person = applicant()
    case = services.create_draft(publish(), applicant=person, form_data=form_for(person))
    with pytest.raises(CaseError):
        services.upload_material(
            case,
            material(case, "施工合同"),
            actor=applicant(),
            name="a.pdf",
            content_type="application/pdf",
            data=PDF_BYTES,
        )


def test_notices_are_pdfs_with_chinese_text() -> None:
    office = Office()
    person = applicant()
    case = services.create_draft(publish(office.organisation), applicant=person, form_data=form_for(person))
    from cases.case_factories import upload_required

    upload_required(case, person)
    case = services.submit(case, actor=person)
    services.accept(case, actor=office.window)
    notice = case.documents.get(kind="acceptance")
    data = notice.file.read()
    assert data.startswith(b"%PDF") and sm3_hex(data) == notice.sm3
    for text in ("受理通知书", "决定予以受理", case.number or ""):
        assert escapePDF(text.encode("utf-16-be")).encode("latin-1") in data
    rendered = documents.render_pdf(documents.Notice("不予受理通知书", ["理由：不属于本机关职权"], "某局"))
    assert escapePDF("不予受理通知书".encode("utf-16-be")).encode("latin-1") in rendered
