"""The GB/T 36904 licence identifier and its ISO 7064 MOD 37,36 check character (domain.md §5)."""

from __future__ import annotations

import pytest
from stdnum.iso7064 import mod_37_36

from yiwang.licences import identifiers
from yiwang.licences.identifiers import IdentifierError

# The three examples of domain.md §5, recomputed there against the reference algorithm.
DOMAIN_EXAMPLES = [
    "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
    "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
    "1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9",
]


def reference_mod37_36(s: str) -> str:
    """domain.md's appendix, verbatim: an independent implementation to test against."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    p = 36
    for ch in s:
        t = (p + alphabet.index(ch)) % 36 or 36
        p = (2 * t) % 37
    return alphabet[(37 - p) % 36]


@pytest.mark.parametrize("text", DOMAIN_EXAMPLES)
def test_domain_examples_parse_and_check(text: str) -> None:
    parsed = identifiers.parse(text)
    assert str(parsed) == text
    body = "".join(text.split(".")[5:9])
    assert mod_37_36.calc_check_digit(body) == reference_mod37_36(body) == text[-1]


def test_build_produces_the_domain_example() -> None:
    built = identifiers.build("11100000000013338W011", "11430000006122244L", "20230000403", 1)
    assert str(built) == DOMAIN_EXAMPLES[0]
    assert built.check == "U"


@pytest.mark.parametrize("text", DOMAIN_EXAMPLES)
def test_every_wrong_check_character_is_rejected(text: str) -> None:
    for wrong in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if wrong == text[-1]:
            continue
        with pytest.raises(IdentifierError, match=f"校验位不正确（应为 {text[-1]}）"):
            identifiers.parse(text[:-1] + wrong)


def test_a_changed_character_in_the_body_is_caught() -> None:
    text = DOMAIN_EXAMPLES[0]
    for swapped in (text.replace("20230000403", "20230000404"), text.replace(".001.", ".002.")):
        assert not identifiers.is_valid(swapped)
    # transposing two adjacent different characters is caught too (the point of a MOD 37,36 hybrid)
    assert not identifiers.is_valid(text.replace("244L", "24L4"))


def test_messages_say_what_is_wrong() -> None:
    with pytest.raises(IdentifierError, match="根代码"):
        identifiers.parse("1.2.156.3005.3.11100000000013338W011.11430000006122244L.20230000403.001.U")
    with pytest.raises(IdentifierError, match="五段"):
        identifiers.parse("1.2.156.3005.2.11100000000013338W011.20230000403.001.U")
    with pytest.raises(IdentifierError, match="版本号应为3位数字"):
        identifiers.parse("1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.1.U")
    with pytest.raises(IdentifierError, match="证照类型代码"):
        identifiers.parse("1.2.156.3005.2.11100000000013338W.11430000006122244L.20230000403.001.U")
    with pytest.raises(IdentifierError, match="请输入"):
        identifiers.parse("   ")


def test_spaces_and_lower_case_are_forgiven() -> None:
    text = " " + DOMAIN_EXAMPLES[0].lower().replace(".001.", ". 001 .") + "\n"
    assert str(identifiers.parse(text)) == DOMAIN_EXAMPLES[0]


def test_next_version_keeps_type_issuer_and_serial() -> None:
    first = identifiers.parse(DOMAIN_EXAMPLES[0])
    second = first.next_version()
    assert (second.type_code, second.issuer_code, second.serial, second.version) == (
        first.type_code,
        first.issuer_code,
        first.serial,
        2,
    )
    assert identifiers.is_valid(str(second)) and str(second).split(".")[-2] == "002"
    with pytest.raises(IdentifierError, match="999"):
        identifiers.build("11100000000013338W011", "11430000006122244L", "1", 999).next_version()
