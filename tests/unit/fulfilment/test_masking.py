"""Receiver masking for printed documents: plaintext is masked, the platform's masks print unchanged."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kuaifa.domain.fulfilment.masking import mask_address, mask_name, mask_phone


@pytest.mark.parametrize(("raw", "masked"), [("张三丰", "张**"), ("李", "李*"), ("张*", "张*"), ("", "")])
def test_a_name_keeps_only_its_first_character(raw: str, masked: str) -> None:
    assert mask_name(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138****5678", "138****5678"),
        ("13812345678-1234", "138*********1234"),
        ("88886666", "****6666"),
        ("123", "****"),
        ("", ""),
    ],
)
def test_a_phone_keeps_at_most_its_first_three_and_last_four_digits(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("文三路478号华星时代广场A座1201室", "文三路478****"),
        ("文三路1号", "文三****"),
        ("文三路****", "文三路****"),
        ("", ""),
    ],
)
def test_a_detailed_address_keeps_at_most_six_leading_characters(raw: str, masked: str) -> None:
    assert mask_address(raw) == masked


@given(st.from_regex(r"1[3-9]\d{9}", fullmatch=True))
def test_the_middle_four_digits_of_a_mobile_number_never_print(phone: str) -> None:
    assert mask_phone(phone) == phone[:3] + "****" + phone[-4:]
