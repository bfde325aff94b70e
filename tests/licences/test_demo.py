"""The demo loader defines types for demo results, keys for their issuers and licences for the demo
holders, every one verifiable, and is idempotent."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from web.portal_data import build_portal_catalog
from yiwang.accounts import demo as accounts_demo
from yiwang.accounts.demo import load_demo_identities
from yiwang.licences import holders, verification
from yiwang.licences.demo import load_demo
from yiwang.licences.models import Licence, LicenceStatus, LicenceType, SigningKey

pytestmark = pytest.mark.django_db


def test_demo_licences_load_twice_and_verify(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    build_portal_catalog()  # its guide gives 建筑工程施工许可证 as a licence
    load_demo_identities(stdout=io.StringIO())
    out = io.StringIO()
    load_demo(stdout=out)
    assert "证照类型 1 种" in out.getvalue()
    licence_type = LicenceType.objects.get(name="建筑工程施工许可证")
    assert SigningKey.objects.filter(organisation__in=licence_type.issuers.all()).exists()
    company_index = holders.holder_index("enterprise", accounts_demo.ENTERPRISE_USCC)
    permit = Licence.objects.get(holder_id_index=company_index)
    assert permit.status == LicenceStatus.REVOKED
    result = verification.by_identifier(permit.identifier)
    assert result.signature_ok and result.status == LicenceStatus.REVOKED
    count = Licence.objects.count()
    load_demo(stdout=io.StringIO())
    assert Licence.objects.count() == count
