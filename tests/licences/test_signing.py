"""SM2 signatures over the canonical content: key rotation, tampering, disclosure, PDF files."""

from __future__ import annotations

import json

import pytest

from accounts.identity_factories import make_person
from licences.licence_factories import issue_to, make_type
from yiwang.core import sm2
from yiwang.licences import content, keys, rendering, selectors, verification
from yiwang.licences.models import Licence, SigningKey

pytestmark = pytest.mark.django_db


def test_issuance_signs_with_the_issuers_key_and_the_signature_verifies() -> None:
    licence = issue_to()
    key = licence.signing_key
    assert key.organisation_id == licence.issuer_id and key.retired_at is None
    signed = json.loads(licence.signed_content)
    assert signed["id"] == licence.identifier and signed["key"] == key.fingerprint
    assert sm2.verify(key.public_hex, content.to_bytes(signed), licence.signature)
    assert selectors.signature_ok(licence)
    assert selectors.trust_level(licence) == "A"
    # the private key is stored only encrypted
    assert keys.private_key_of(key) not in key.private_ciphertext
    assert sm2.public_key_of(keys.private_key_of(key)) == key.public_hex


def test_old_signatures_still_verify_after_key_rotation() -> None:
    licence_type = make_type()
    issuer = licence_type.issuers.get()
    before = issue_to(licence_type=licence_type)
    new_key = keys.rotate(issuer, actor=None, reason="年度轮换")
    old_key = SigningKey.objects.get(pk=before.signing_key_id)
    assert old_key.retired_at is not None and old_key.retire_reason == "年度轮换"
    assert keys.active_key(issuer) == new_key != old_key

    after = issue_to(licence_type=licence_type)
    assert after.signing_key == new_key
    for licence in (before, after):
        licence = Licence.objects.get(pk=licence.pk)
        result = verification.by_identifier(licence.identifier)
        assert result.valid and result.signature_ok, result.problems
    assert verification.by_identifier(before.identifier).key_retired
    # the old signature does not verify under the new key: verification really uses the signer's key
    assert not sm2.verify(new_key.public_hex, before.signed_content.encode(), before.signature)


def test_a_changed_row_fails_verification() -> None:
    licence = issue_to()
    Licence.objects.filter(pk=licence.pk).update(
        data={**licence.data, "application_matter": "改过的许可事项"}
    )
    result = verification.by_identifier(licence.identifier)
    assert not result.signature_ok and not result.valid
    assert "签名不符" in result.verdict


def test_a_tampered_qr_payload_fails_and_a_genuine_one_passes() -> None:
    licence = issue_to()
    payload = rendering.qr_payload(licence)
    genuine = verification.by_payload(payload)
    assert genuine.valid, genuine.problems
    assert [f[0] for f in genuine.fields] == ["application_matter"]

    signed, signature, disclosed = content.decode_payload(payload)
    signed["valid_until"] = "2099-12-31"
    forged = verification.by_payload(content.encode_payload(signed, signature, disclosed))
    assert not forged.valid and not forged.signature_ok

    signed, signature, disclosed = content.decode_payload(payload)
    disclosed["application_matter"][1] = "伪造的许可事项"
    lied = verification.by_payload(content.encode_payload(signed, signature, disclosed))
    assert not lied.valid and any("application_matter" in p for p in lied.problems)

    assert not verification.by_payload("YWLIC1.garbage").valid
    assert not verification.by_payload("hello").valid


def test_offline_verification_needs_only_the_payload_and_the_published_key() -> None:
    """What an offline verifier does: decode the QR, take the key by fingerprint, check."""
    licence = issue_to()
    signed, signature, disclosed = content.decode_payload(rendering.qr_payload(licence))
    published = {k.fingerprint: k.public_hex for k in SigningKey.objects.all()}
    checked = content.check(published[signed["key"]], signed, signature, disclosed)
    assert checked.ok and checked.disclosed == {"application_matter": "新建住宅楼施工"}
    # the holder's ID is never in the QR code: only its salted commitment
    payload_text = json.dumps([signed, disclosed], ensure_ascii=False)
    resident_id = selectors.full_field_values(licence)[content.HOLDER_ID]
    assert resident_id not in payload_text and licence.holder_id_masked in payload_text


def test_holder_choices_change_what_the_qr_code_discloses() -> None:
    from yiwang.licences import services

    person = make_person()
    licence = issue_to(person)
    services.set_disclosure(licence, actor=person, public_fields=["holder_name", "address"])
    result = verification.by_payload(rendering.qr_payload(licence))
    assert dict((n, v) for n, _l, v in result.fields) == {
        "holder_name": person.display_name,
        "address": "杭州市西湖区文三路100号",
    }
    online = verification.by_identifier(licence.identifier)
    assert {n for n, _l, _v in online.fields} == {"holder_name", "address"}


def test_the_issued_pdf_verifies_and_any_edit_is_detected() -> None:
    licence = issue_to()
    pdf = rendering.pdf_for_download(licence, "https://zwfw.example.gov.cn")
    assert rendering.render_pdf(licence, "https://zwfw.example.gov.cn") == pdf  # deterministic
    genuine = verification.by_file(pdf)
    assert genuine.valid and genuine.file_matched

    tampered = pdf.replace(b"/Producer", b"/Producor", 1)
    assert tampered != pdf
    result = verification.by_file(tampered)
    assert not result.valid and result.file_matched is False
    assert result.identifier == licence.identifier  # the edited copy still says which licence it claims
    assert any("不一致" in p for p in result.problems)

    stranger = verification.by_file(b"%PDF-1.4\n%%EOF\n")
    assert not stranger.valid and not stranger.found
