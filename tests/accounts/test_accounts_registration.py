from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.identity_factories import PASSWORD, make_person, make_phone, make_resident_id
from yiwang.accounts import otp, registries, services, sms
from yiwang.accounts.models import OtpPurpose, PersonIdentity, RealNameLevel
from yiwang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def registration(phone: str, code: str, resident_id: str, name: str = "陈小明") -> services.Registration:
    return services.Registration(
        phone=phone, code=code, name=name, resident_id=resident_id, password=PASSWORD
    )


def code_for(phone: str, purpose: str, capture: object) -> str:
    with capture(execute=True):  # type: ignore[operator]
        otp.send_code(phone, purpose)
    code = sms.latest_code(phone)
    assert code
    return code


def test_registration_creates_an_l1_person_with_the_id_encrypted(
    django_capture_on_commit_callbacks: object, settings: object
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]  # type: ignore[attr-defined]
    phone, number = make_phone(), make_resident_id()
    code = code_for(phone, OtpPurpose.REGISTER, django_capture_on_commit_callbacks)
    user = services.register_person(registration(phone, code, number))
    identity = PersonIdentity.objects.get(user=user)
    assert identity.level == RealNameLevel.L1
    assert number not in identity.resident_id_ciphertext and number not in identity.resident_id_index
    assert identity.resident_id_masked == number[:3] + "*" * 11 + number[-4:]
    assert services.resident_id_of(user) == number
    assert user.check_password(PASSWORD) and user.password.startswith("argon2")
    assert AuditEntry.objects.filter(action="account.registered", object_id=str(user.pk)).exists()


@pytest.mark.parametrize(
    ("resident_id", "message"),
    [
        ("33010619900307123", "18位"),
        ("33010619900307123Y", "前17位须为数字"),
        ("330106199002301231", "出生日期"),
        ("34052419800101001" + "3", "校验位"),
    ],
)
def test_bad_resident_ids_are_refused_precisely_before_the_code_is_used(
    resident_id: str, message: str, django_capture_on_commit_callbacks: object
) -> None:
    phone = make_phone()
    code = code_for(phone, OtpPurpose.REGISTER, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as exc:
        services.register_person(registration(phone, code, resident_id))
    assert any(message in m for m in exc.value.message_dict["resident_id"])
    otp.verify_code(phone, OtpPurpose.REGISTER, code)  # the code was not consumed by the refused attempt


def test_the_same_resident_id_cannot_register_twice(django_capture_on_commit_callbacks: object) -> None:
    existing = make_person()
    phone = make_phone()
    code = code_for(phone, OtpPurpose.REGISTER, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as exc:
        services.register_person(registration(phone, code, services.resident_id_of(existing)))
    assert "已注册" in exc.value.message_dict["resident_id"][0]


def test_wrong_code_blocks_registration(django_capture_on_commit_callbacks: object) -> None:
    phone = make_phone()
    code = code_for(phone, OtpPurpose.REGISTER, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as exc:
        services.register_person(registration(phone, f"{(int(code) + 7) % 10**6:06d}", make_resident_id()))
    assert exc.value.code == "otp_wrong"


def test_l2_upgrade_checks_the_population_registry() -> None:
    person = make_person(name="林一")
    services.upgrade_to_l2(person)
    assert services.level_of(person) == RealNameLevel.L2
    assert AuditEntry.objects.filter(action="identity.level_raised", object_id=str(person.pk)).exists()


def test_l2_upgrade_refuses_an_unknown_person_with_the_reason() -> None:
    person = make_person(in_registry=False)
    with pytest.raises(ValidationError) as exc:
        services.upgrade_to_l2(person)
    assert "人口库中没有该身份证号码" in exc.value.messages[0]
    assert services.level_of(person) == RealNameLevel.L1
    assert AuditEntry.objects.filter(action="identity.verify_failed").exists()


def test_l2_upgrade_refuses_a_name_mismatch() -> None:
    person = make_person(in_registry=False, name="周二")
    registries.add_registry_person("周三", services.resident_id_of(person))
    with pytest.raises(ValidationError) as exc:
        services.upgrade_to_l2(person)
    assert "姓名" in exc.value.messages[0]


def test_require_level_names_the_upgrade_path() -> None:
    person = make_person()
    services.require_level(person, RealNameLevel.L1)
    with pytest.raises(services.RealNameLevelTooLow) as exc:
        services.require_level(person, RealNameLevel.L2)
    assert exc.value.upgrade_path == "/account/level/"
    assert exc.value.required == 2 and exc.value.current == 1
    assert "/account/level/" in exc.value.message


def test_in_person_verification_needs_staff(django_user_model: object) -> None:
    from accounts.identity_factories import make_staff
    from catalog.factories import make_organisation
    from yiwang.accounts.models import Role

    person = make_person(level=RealNameLevel.L2)
    with pytest.raises(services.PermissionDenied):
        services.verify_in_person(person, actor=make_person())
    services.verify_in_person(person, actor=make_staff(make_organisation(), Role.WINDOW))
    assert services.level_of(person) == RealNameLevel.L3
