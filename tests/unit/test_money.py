"""Money is integer fen; yuan conversion is exact or refused. Also the shape of domain errors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kuaifa.domain.shared.errors import DomainError, IllegalTransition, InvalidMoney, InvalidRuleConfig
from kuaifa.domain.shared.money import fen_to_yuan, platform_yuan_to_fen, yuan_to_fen

# --- yuan_to_fen: accepted inputs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        (19.9, 1990),
        (0.3, 30),
        (0.1, 10),
        (0.07, 7),
        (1.15, 115),
        (4.35, 435),
        (1e20, 10**22),
        (0.0, 0),
        (-0.0, 0),
        (-19.9, -1990),
    ],
)
def test_a_float_is_read_through_its_shortest_repr_not_multiplied_in_binary(value: float, fen: int) -> None:
    # given a PDD JSON amount that binary floating point cannot hold exactly (19.9 * 100 == 1989.9999999999998)
    # when it is converted
    result = yuan_to_fen(value)
    # then the fen are exactly what a person reads
    assert result == fen
    assert type(result) is int


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        ("19.90", 1990),
        ("19.9", 1990),
        ("19", 1900),
        ("0.01", 1),
        ("0", 0),
        (" 19.90 ", 1990),
        ("¥19.90", 1990),
        ("￥19.90", 1990),
        (" ¥ 19.90 ", 1990),
        ("1,234.56", 123456),
        ("¥1,234,567.89", 123456789),
        ("-5.00", -500),
        ("-0.05", -5),
        ("¥-19.90", -1990),
        ("1.230", 123),
        ("+3.5", 350),
    ],
)
def test_an_export_string_is_converted_exactly(value: str, fen: int) -> None:
    # given an amount as an export file writes it (currency sign, thousands separators, padding)
    # when / then
    assert yuan_to_fen(value) == fen


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        (Decimal("19.90"), 1990),
        (Decimal("0.3"), 30),
        (Decimal("-0.05"), -5),
        (Decimal("1E+2"), 10000),
        (Decimal("123.4500"), 12345),
    ],
)
def test_a_decimal_is_converted_exactly(value: Decimal, fen: int) -> None:
    assert yuan_to_fen(value) == fen


@pytest.mark.parametrize(("value", "fen"), [(0, 0), (19, 1900), (-3, -300), (10**30, 10**32)])
def test_an_int_is_whole_yuan(value: int, fen: int) -> None:
    assert yuan_to_fen(value) == fen


def test_an_amount_with_more_digits_than_the_default_decimal_precision_is_not_rounded() -> None:
    # given 29 significant digits, more than decimal's default 28-digit context
    value = "1234567890123456789012345678.9"
    # when / then: every digit survives
    assert yuan_to_fen(value) == 123456789012345678901234567890


# --- yuan_to_fen: refused inputs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "1.234",
        "0.001",
        "abc",
        "",
        "   ",
        "¥",
        "19.9元",
        "nan",
        "NaN",
        "inf",
        "-Infinity",
        "sNaN",
        "1e999999",
        "1e-999999999",
        float("nan"),
        float("inf"),
        float("-inf"),
        0.1 + 0.2,
        19.999,
        Decimal("1.005"),
        Decimal("NaN"),
        Decimal("Infinity"),
        True,
        False,
    ],
)
def test_anything_that_is_not_an_exact_amount_in_fen_is_refused(value: object) -> None:
    # given a value that is not money, or would need rounding to become fen
    # when it is converted
    with pytest.raises(InvalidMoney) as caught:
        yuan_to_fen(value)  # type: ignore[arg-type]
    # then it is refused with the money code and the offending value, never rounded
    assert caught.value.code == "money.invalid"
    assert caught.value.params == {"value": value}


def test_the_float_sum_of_a_dime_and_two_dimes_is_refused_rather_than_rounded() -> None:
    # given the classic binary pitfall: 0.1 + 0.2 is 0.30000000000000004, not 0.3
    value = 0.1 + 0.2
    # when / then: it has more than two decimals, so it is refused; the literal 0.3 is fine
    with pytest.raises(InvalidMoney):
        yuan_to_fen(value)
    assert yuan_to_fen(0.3) == 30


def test_a_refused_amount_explains_itself_in_a_sentence() -> None:
    with pytest.raises(InvalidMoney) as caught:
        yuan_to_fen("1.234")
    assert str(caught.value) == "'1.234' is not a valid amount of money in yuan (at most two decimal places)."


# --- fen_to_yuan ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (1990, "19.90"),
        (0, "0.00"),
        (1, "0.01"),
        (10, "0.10"),
        (100, "1.00"),
        (123456789, "1234567.89"),
        (-5, "-0.05"),
        (-1990, "-19.90"),
        (-100, "-1.00"),
    ],
)
def test_fen_are_formatted_as_yuan_with_two_decimals(fen: int, text: str) -> None:
    assert fen_to_yuan(fen) == text


@given(st.integers())
def test_formatting_fen_as_yuan_and_reading_it_back_gives_the_same_fen(fen: int) -> None:
    assert yuan_to_fen(fen_to_yuan(fen)) == fen


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_a_float_with_at_most_two_decimals_round_trips_through_its_repr(fen: int) -> None:
    # given an amount a platform sends as a JSON float (the float nearest to the decimal text)
    value = float(fen_to_yuan(fen))
    # when / then
    assert yuan_to_fen(value) == fen


# --- DomainError ------------------------------------------------------------------------------------------------


def test_a_domain_error_carries_its_code_and_named_params() -> None:
    error = IllegalTransition(order_sn="240101-1", current="NEW", target="SHIPPED")
    assert error.code == "order.illegal_transition"
    assert error.params == {"order_sn": "240101-1", "current": "NEW", "target": "SHIPPED"}
    assert error.message == "Order 240101-1 cannot go from NEW to SHIPPED."
    assert str(error) == "Order 240101-1 cannot go from NEW to SHIPPED."


def test_a_domain_error_with_a_missing_param_shows_its_template_rather_than_failing() -> None:
    error = InvalidRuleConfig(rule="buyer_memo")
    assert error.message == "Review rule %(rule)s: %(reason)s"


def test_a_domain_error_accepts_a_template_of_its_own() -> None:
    error = DomainError("Shop %(shop)s is paused.", shop="A")
    assert error.code == "domain.error"
    assert error.message == "Shop A is paused."
    assert DomainError().message == "The operation was refused."


@pytest.mark.parametrize(
    ("error_class", "code"),
    [
        (InvalidMoney, "money.invalid"),
        (IllegalTransition, "order.illegal_transition"),
        (InvalidRuleConfig, "review.invalid_rule_config"),
    ],
)
def test_every_domain_error_is_a_domain_error_with_a_stable_code(error_class: type[DomainError], code: str) -> None:
    assert issubclass(error_class, DomainError)
    assert error_class.code == code


# --- platform_yuan_to_fen: the float noise of a platform's computed amounts -------------------------------------


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        (269.70000000000005, 26970),
        (89.9 * 3, 26970),
        (0.1 + 0.2, 30),
        (19.9 * 7, 13930),
        (1.15, 115),
        (269.69999999999999, 26970),
        (12.340000999, 1234),
        (-0.30000000000000004, -30),
        (0.0, 0),
        ("19.90", 1990),
        (25, 2500),
    ],
)
def test_a_platform_double_within_a_millionth_of_a_whole_fen_is_that_fen(value, fen) -> None:
    assert platform_yuan_to_fen(value) == fen


@pytest.mark.parametrize("value", [19.995, 12.341, 12.3400011, float("nan"), float("inf"), "19.995", "abc"])
def test_a_platform_amount_further_from_a_whole_fen_is_refused(value) -> None:
    with pytest.raises(InvalidMoney):
        platform_yuan_to_fen(value)


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=999))
def test_price_times_quantity_as_doubles_maps_to_the_exact_fen_product(price_fen, quantity) -> None:
    assert platform_yuan_to_fen(price_fen / 100 * quantity) == price_fen * quantity


def _exactly(value: float) -> int | None:
    """The rule without any fast path: the double's shortest repr, within a millionth of a yuan of a whole fen."""
    amount = Decimal(repr(value))
    fen = (amount * 100).to_integral_value(rounding="ROUND_HALF_EVEN")
    return int(fen) if abs(amount - fen / 100) <= Decimal("0.000001") else None


@given(st.one_of(st.floats(min_value=-1e15, max_value=1e15), st.integers(-(10**14), 10**14).map(lambda f: f / 100)))
def test_the_fast_path_for_doubles_agrees_with_the_exact_rule(value) -> None:
    expected = _exactly(value)
    if expected is None:
        with pytest.raises(InvalidMoney):
            platform_yuan_to_fen(value)
    else:
        assert platform_yuan_to_fen(value) == expected
