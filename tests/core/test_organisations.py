"""Registering and updating implementing organisations: USCC checks, warnings, audit rows."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from yiwang.core import audit, selectors, services
from yiwang.core.crypto import digest
from yiwang.core.models import AuditEntry, Organisation, OrganisationKind

pytestmark = pytest.mark.django_db


def register(**overrides: object) -> Organisation:
    fields: dict[str, object] = {
        "actor": None,
        "name": "杭州市市场监督管理局",
        "uscc": "11330105002500287C",
        "region": "330100",
    }
    fields.update(overrides)
    return services.register_organisation(**fields)  # type: ignore[arg-type]


def test_register_stores_and_audits(regions: int) -> None:
    org = register(phone="0571-87654321", short_name=" 杭州市场监管 ")
    assert org.pk and org.uscc_warning == "" and org.short_name == "杭州市场监管"
    entry = AuditEntry.objects.get(action="organisation.register")
    assert entry.object_id == str(org.pk)
    assert entry.after_digest == digest(services.organisation_state(org))
    assert entry.before_digest == ""
    assert list(audit.verify_chain()) == []


def test_pilot_code_with_a_bad_check_digit_is_kept_with_a_warning(regions: int) -> None:
    org = register(uscc="91350100m0001tgqxm", region="330106")
    org.refresh_from_db()
    assert org.uscc == "91350100M0001TGQXM"
    assert "校验位" in org.uscc_warning
    assert AuditEntry.objects.get(action="organisation.register").data == {"uscc_warning": org.uscc_warning}


@pytest.mark.parametrize(
    ("uscc", "fragment"),
    [("91350100M000100Y4", "18位"), ("91350100M000100O43", "不允许的字符"), ("", "18位")],
)
def test_malformed_uscc_is_rejected_in_chinese(regions: int, uscc: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        register(uscc=uscc)
    assert fragment in caught.value.message_dict["uscc"][0]
    assert Organisation.objects.count() == 0
    assert AuditEntry.objects.count() == 1  # only the regions load


def test_every_problem_is_reported_at_once(regions: int) -> None:
    with pytest.raises(ValidationError) as caught:
        register(name=" ", uscc="123", region="339998", kind="ministry", phone="12")
    errors = caught.value.message_dict
    assert set(errors) == {"name", "uscc", "region", "kind", "phone"}
    assert "不能为空" in errors["name"][0]
    assert "339998 不存在" in errors["region"][0]
    assert "department（部门）" in errors["kind"][0]


def test_duplicate_uscc_names_the_existing_organisation(regions: int) -> None:
    register()
    with pytest.raises(ValidationError) as caught:
        register(name="另一个机构")
    assert "杭州市市场监督管理局" in caught.value.message_dict["uscc"][0]


def test_update_changes_fields_and_audits_before_and_after(regions: int) -> None:
    org = register()
    before = services.organisation_state(org)
    updated = services.update_organisation(
        org, actor=None, name="杭州市市场监管局", kind=OrganisationKind.HALL
    )
    assert updated.name == "杭州市市场监管局" and updated.kind == OrganisationKind.HALL
    entry = AuditEntry.objects.get(action="organisation.update")
    assert entry.before_digest == digest(before)
    assert entry.after_digest == digest(services.organisation_state(updated))
    assert entry.data == {"changed": ["kind", "name"]}


def test_update_to_a_pilot_code_sets_the_warning_and_back_clears_it(regions: int) -> None:
    org = register()
    org = services.update_organisation(org.pk, actor=None, uscc="91350100M0001TGQXM")
    assert org.uscc_warning
    org = services.update_organisation(org.pk, actor=None, uscc="91350100M000100Y43")
    assert org.uscc_warning == ""
    assert Organisation.objects.get(pk=org.pk).uscc == "91350100M000100Y43"


def test_update_without_real_change_writes_no_audit_row(regions: int) -> None:
    org = register()
    count = AuditEntry.objects.count()
    services.update_organisation(org, actor=None, name="杭州市市场监督管理局")
    assert AuditEntry.objects.count() == count


def test_parent_cycles_are_refused(regions: int) -> None:
    top = register()
    child = register(name="下属大厅", uscc="12441500196720244T", parent=top, kind=OrganisationKind.HALL)
    with pytest.raises(ValidationError) as caught:
        services.update_organisation(top, actor=None, parent=child.pk)
    assert "下级机构" in caught.value.message_dict["parent"][0]


def test_update_of_unknown_organisation(db: None) -> None:
    with pytest.raises(ValidationError, match="不存在"):
        services.update_organisation(999999, actor=None, name="x")


def test_organisation_selectors(regions: int) -> None:
    city = register()
    district = register(name="西湖区行政服务中心", uscc="12441500196720244T", region="330106", kind="hall")
    register(name="已撤销机构", uscc="11100000000013661B", region="330106", is_active=False)
    register(name="宁波某局", uscc="11430000006122244L", region="330200")
    hangzhou = selectors.region_by_code("330100")
    assert hangzhou is not None
    assert list(selectors.organisations(region=hangzhou)) == [city]
    assert list(selectors.organisations(region=hangzhou, subtree=True)) == [city, district]
    assert selectors.organisations(region=hangzhou, subtree=True, include_inactive=True).count() == 3
    assert list(selectors.organisations(kind="hall")) == [district]
    assert list(selectors.organisations(q="服务中心")) == [district]
    assert list(selectors.organisations(q="12441500196720244t")) == [district]
    assert selectors.organisation_by_key("12441500196720244T") == district
    assert selectors.organisation_by_key(str(city.pk)) == city
    assert selectors.organisation_by_key("nonsense") is None
