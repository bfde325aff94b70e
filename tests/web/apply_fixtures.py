"""Fixtures and helpers for the applicant's pages (apply flow, my cases, inbox).

Import the fixtures into a test module: `from web.apply_fixtures import calendar_fixture, …` (each is
registered under its short name: calendar, sms, quick_hashing, scene)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from cases.case_factories import PDF_BYTES, Office, applicant, form_for, publish
from yiwang.cases.models import Case
from yiwang.core import calendar_data, workdays


@pytest.fixture(autouse=True, name="calendar")
def calendar_fixture(db: None) -> None:
    calendar_data.seed_calendar([2025, 2026, 2027])
    workdays.clear_cache()


@pytest.fixture(autouse=True, name="sms")
def sms_fixture(settings: Any, tmp_path: Any) -> Any:
    settings.YIWANG_SMS_OUTBOX = str(tmp_path / "sms.log")
    settings.YIWANG_SMS_GATEWAY = "file"
    return tmp_path / "sms.log"


@pytest.fixture(autouse=True, name="quick_hashing")
def quick_hashing_fixture(settings: Any, tmp_path: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")


class Scene:
    """A published item, its office with one clerk per role, and a signed-up person."""

    def __init__(self) -> None:
        self.office = Office()
        self.item = publish(self.office.organisation)
        self.person = applicant()


@pytest.fixture(name="scene")
def scene_fixture(db: None) -> Scene:
    return Scene()


def begin(client: Any, scene: Scene, key: str = "key-0000-0001") -> Case:
    """Start an application from the start page; returns the draft."""
    response = client.post(f"/apply/{scene.item.implementation_code}/start", {"key": key})
    assert response.status_code == 302, response.content.decode()[:500]
    number = re.search(r"/apply/drafts/(\d+)/", response["Location"])
    assert number, response["Location"]
    return Case.objects.get(pk=int(number.group(1)))


def fill_form(client: Any, case: Case, scene: Scene, **overrides: Any) -> Any:
    data = {**form_for(scene.person), **overrides, "action": "continue"}
    return client.post(f"/apply/drafts/{case.pk}/form", data)


def upload(client: Any, url: str, material_id: int, name: str, data: bytes, content_type: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        url,
        {"op": "upload", "material": str(material_id), "file": SimpleUploadedFile(name, data, content_type)},
    )


def upload_pdf(client: Any, case: Case, material_name: str) -> Any:
    material = case.materials.get(name=material_name)
    return upload(
        client, f"/apply/drafts/{case.pk}/materials", material.pk, "表.pdf", PDF_BYTES, "application/pdf"
    )


def filed(client: Any, scene: Scene) -> Case:
    """A person's application filed through the pages: form, the one required upload, submit."""
    case = begin(client, scene)
    assert fill_form(client, case, scene).status_code == 302
    assert upload_pdf(client, case, "建筑工程施工许可申请表").status_code == 302
    response = client.post(f"/apply/drafts/{case.pk}/check")
    assert response.status_code == 302, response.content.decode()[:800]
    case.refresh_from_db()
    return case


def publish_with_situations(scene: Scene) -> Any:
    """A second published item whose material list depends on the situation (办理情形)."""
    from catalog.factories import make_guide, make_implementation
    from yiwang.catalog import codes
    from yiwang.catalog import services as catalog_services
    from yiwang.catalog.models import Material, Situation

    implementation = make_implementation(organisation=scene.office.organisation)
    guide = make_guide(
        implementation=implementation,
        service_objects=[codes.ServiceObject.PERSON.value],
        materials=[{"name": "身份证明"}],
    )
    entrusted = Situation.objects.create(
        guide=guide, order=1, name="委托他人办理", description="由代理人代为申请"
    )
    Situation.objects.create(guide=guide, order=2, name="首次申请")
    Material.objects.create(guide=guide, situation=entrusted, order=2, name="授权委托书")
    catalog_services.publish(catalog_services.submit(guide))
    implementation.refresh_from_db()
    return implementation
