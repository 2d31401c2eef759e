"""Carriers: the §3.2 table, tracking-number checks (errors only when impossible) and rule-based carrier choice."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kuaifa.domain.carriers.catalog import CARRIERS, Carrier, canonical_code, carrier_by_code, carrier_by_id
from kuaifa.domain.carriers.choice import (
    CandidateVerdict,
    ChoiceRules,
    Exclusion,
    InvalidChoiceInput,
    InvalidTariff,
    Rate,
    Tariff,
    choose_carrier,
    province_key,
)
from kuaifa.domain.carriers.tracking import Level, TrackingCode, check_tracking_number

# --- catalogue ----------------------------------------------------------------------------------------------------


def test_the_main_pdd_carrier_ids_map_to_their_names_and_codes() -> None:
    assert [carrier_by_id(i) for i in (1, 44, 85, 115, 121, 384)] == [
        Carrier(1, "申通快递", "STO"),
        Carrier(44, "顺丰快递", "SF"),
        Carrier(85, "圆通快递", "YTO"),
        Carrier(115, "中通快递", "ZTO"),
        Carrier(121, "韵达快递", "YUNDA"),
        Carrier(384, "极兔", "JTSD", aliases=("JTKD",)),
    ]


def test_a_former_code_finds_the_carrier_and_gives_its_current_code() -> None:
    assert carrier_by_code(" jtkd ") == carrier_by_id(384)
    assert canonical_code("JTKD") == "JTSD"
    assert canonical_code(" zto") == "ZTO"
    assert canonical_code("new-co") == "NEW-CO"


def test_unknown_ids_and_codes_find_nothing() -> None:
    assert carrier_by_id(999_999) is None
    assert carrier_by_code("NOPE") is None


def test_ids_and_codes_are_unique_in_the_table() -> None:
    codes = [code for c in CARRIERS for code in (c.code, *c.aliases)]
    assert len({c.id for c in CARRIERS}) == len(CARRIERS)
    assert len(set(codes)) == len(codes)


# --- tracking numbers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("", TrackingCode.EMPTY),
        ("7731 23456789", TrackingCode.WHITESPACE),
        (" 773123456789", TrackingCode.WHITESPACE),
        ("773123456789\t", TrackingCode.WHITESPACE),
        ("７７３１２３４５６７８９", TrackingCode.CHARSET),
        ("YT12345678901#", TrackingCode.CHARSET),
        ("中通773123456789", TrackingCode.CHARSET),
        ("12345", TrackingCode.TOO_SHORT),
        ("1" * 41, TrackingCode.TOO_LONG),
    ],
)
def test_impossible_numbers_are_errors_whatever_the_carrier(number: str, code: TrackingCode) -> None:
    for carrier in ("ZTO", "SF", "UNKNOWN"):
        check = check_tracking_number(carrier, number)
        assert (check.level, check.code) == (Level.ERROR, code)
        assert check.blocks


def test_the_length_limits_themselves_are_possible() -> None:
    assert check_tracking_number("TT", "123456").level is Level.OK
    assert check_tracking_number("TT", "1" * 40).level is Level.OK


@pytest.mark.parametrize(
    ("carrier", "number"),
    [
        ("ZTO", "773123456789"),
        ("ZTO", "78312345678901"),
        ("ZTO", "432542035598773"),
        ("YTO", "YT1234567890123"),
        ("YTO", "Y123456789012"),
        ("YTO", "612345678901234567"),
        ("YUNDA", "4312345678901"),
        ("STO", "268123456789"),
        ("STO", "773123456789012"),
        ("STO", "STO1234567890"),
        ("JTSD", "JT0006968326954"),
        ("JTKD", "JT000696832695"),
        ("JD", "JDX123456789012"),
        ("JD", "JDVA12345678901"),
        ("EMS", "EA123456789CN"),
        ("EMS", "9812345678901"),
        ("YZXB", "1240921381750"),
        ("SF", "SF1234567890123"),
        ("DB", "123456789"),
        ("DB", "DPK12345678901"),
        ("ANNENG", "300012345678"),
    ],
)
def test_numbers_of_the_usual_shape_are_ok(carrier: str, number: str) -> None:
    check = check_tracking_number(carrier, number)

    assert (check.level, check.code) == (Level.OK, TrackingCode.OK)


@pytest.mark.parametrize(
    ("carrier", "number"),
    [
        ("ZTO", "YT1234567890123"),
        ("YUNDA", "12345678901234"),
        ("SF", "sf1234567890123"),
        ("SF", "773123456789"),
        ("JTSD", "JT12345"),
        ("JD", "JDY123456789012"),
        ("STO", "123456789012"),
    ],
)
def test_a_shape_mismatch_is_only_a_warning(carrier: str, number: str) -> None:
    check = check_tracking_number(carrier, number)

    assert (check.level, check.code) == (Level.WARNING, TrackingCode.PATTERN_MISMATCH)
    assert not check.blocks
    assert "heuristic" in check.reason


def test_carriers_without_a_known_shape_get_no_shape_check() -> None:
    assert check_tracking_number("TT", "ABC-123456").code is TrackingCode.NO_PATTERN
    assert check_tracking_number("NEWCO", "ABC-123456").level is Level.OK


@given(st.text(min_size=1, max_size=45))
def test_any_text_gets_a_level_and_errors_are_exactly_the_impossible_ones(number: str) -> None:
    check = check_tracking_number("ZTO", number)

    impossible = (
        not number.isascii() or not all(ch.isalnum() or ch == "-" for ch in number) or not 6 <= len(number) <= 40
    )
    assert (check.level is Level.ERROR) == impossible


# --- carrier choice -----------------------------------------------------------------------------------------------

JZH = frozenset({"江苏省", "浙江", "上海市"})
REMOTE = frozenset({"新疆维吾尔自治区", "西藏自治区"})


def tariff(code: str, near: tuple[int, int], far: tuple[int, int], *, max_g: int | None = None) -> Tariff:
    """First 1 kg and each further kg for 江浙沪 and for the rest of the country (remote areas not served)."""
    return Tariff(
        code,
        (
            Rate(JZH, 1_000, near[0], 1_000, near[1]),
            Rate(frozenset(), 1_000, far[0], 1_000, far[1]),
        ),
        max_weight_g=max_g,
    )


ZTO = tariff("ZTO", (300, 100), (500, 300))
YTO = tariff("YTO", (280, 120), (550, 350))
SF = Tariff("SF", (Rate(frozenset(), 1_000, 1_200, 1_000, 600),))
ZTO_REMOTE = Tariff("ZTO", (Rate(REMOTE, 1_000, 2_000, 1_000, 1_500),))


def verdict(choice_candidates: tuple[CandidateVerdict, ...], code: str) -> CandidateVerdict:
    return next(c for c in choice_candidates if c.carrier_code == code)


def test_the_cheapest_carrier_for_the_destination_wins() -> None:
    choice = choose_carrier(province="浙江省", weight_g=800, tariffs=[ZTO, YTO, SF])

    assert choice.chosen == "YTO"
    assert [(c.carrier_code, c.cost_fen, c.excluded) for c in choice.candidates] == [
        ("YTO", 280, None),
        ("ZTO", 300, None),
        ("SF", 1_200, None),
    ]


def test_each_started_kilogram_above_the_first_costs_one_step() -> None:
    choice = choose_carrier(province="广东省", weight_g=2_001, tariffs=[ZTO])

    assert verdict(choice.candidates, "ZTO").cost_fen == 500 + 2 * 300
    assert choose_carrier(province="广东", weight_g=2_000, tariffs=[ZTO]).candidates[0].cost_fen == 800


def test_province_names_match_in_any_usual_form() -> None:
    assert province_key("广西壮族自治区") == province_key("广西") == "广西"
    assert province_key("上海市") == "上海"
    assert province_key(" 新疆维吾尔自治区 ") == "新疆"
    assert choose_carrier(province="浙江", weight_g=500, tariffs=[ZTO]).candidates[0].cost_fen == 300


def test_a_carrier_the_buyer_refused_is_excluded_even_when_cheapest() -> None:
    choice = choose_carrier(province="浙江省", weight_g=800, tariffs=[ZTO, YTO], buyer_excluded=["yto"])

    assert choice.chosen == "ZTO"
    assert verdict(choice.candidates, "YTO") == CandidateVerdict("YTO", 280, 0, False, None, Exclusion.BUYER_EXCLUDED)


def test_a_former_code_in_the_buyer_memo_excludes_the_carrier() -> None:
    jt = Tariff("JTSD", (Rate(frozenset(), 1_000, 200, 1_000, 100),))

    choice = choose_carrier(province="浙江省", weight_g=800, tariffs=[jt, ZTO], buyer_excluded=["JTKD"])

    assert choice.chosen == "ZTO"


def test_no_rate_for_the_province_excludes_the_carrier() -> None:
    choice = choose_carrier(province="西藏自治区", weight_g=800, tariffs=[ZTO_REMOTE, SF])

    assert choice.chosen == "SF"
    choice = choose_carrier(province="浙江省", weight_g=800, tariffs=[ZTO_REMOTE, SF])
    assert verdict(choice.candidates, "ZTO").excluded is Exclusion.NO_RATE
    assert verdict(choice.candidates, "ZTO").cost_fen is None


def test_a_parcel_over_the_carrier_weight_limit_excludes_it() -> None:
    light_only = tariff("YTO", (100, 100), (100, 100), max_g=3_000)

    choice = choose_carrier(province="浙江省", weight_g=3_001, tariffs=[light_only, ZTO])

    assert choice.chosen == "ZTO"
    assert verdict(choice.candidates, "YTO").excluded is Exclusion.TOO_HEAVY


def test_an_on_time_floor_excludes_late_carriers_and_unscored_ones_by_default() -> None:
    rules = ChoiceRules(min_on_time_percent=90)

    choice = choose_carrier(
        province="浙江省", weight_g=800, tariffs=[ZTO, YTO, SF], on_time={"YTO": 85, "SF": 99}, rules=rules
    )

    assert choice.chosen == "SF"
    assert verdict(choice.candidates, "YTO").excluded is Exclusion.ON_TIME_TOO_LOW
    assert verdict(choice.candidates, "ZTO") == CandidateVerdict("ZTO", 300, 0, False, None, Exclusion.ON_TIME_TOO_LOW)


def test_unscored_carriers_can_be_given_an_assumed_score() -> None:
    rules = ChoiceRules(min_on_time_percent=90, unscored_on_time_percent=95)

    assert choose_carrier(province="浙江省", weight_g=800, tariffs=[ZTO, SF], rules=rules).chosen == "ZTO"


def test_paying_per_on_time_point_can_make_a_punctual_carrier_win() -> None:
    # YTO 280 + 5 × (100 − 80) = 380; ZTO 300 + 5 × (100 − 95) = 325
    rules = ChoiceRules(fen_per_on_time_point=5)

    choice = choose_carrier(
        province="浙江省", weight_g=800, tariffs=[ZTO, YTO], on_time={"ZTO": 95, "YTO": 80}, rules=rules
    )

    assert choice.chosen == "ZTO"
    assert [(c.carrier_code, c.score_fen) for c in choice.candidates] == [("ZTO", 325), ("YTO", 380)]


def test_equal_scores_go_to_the_more_punctual_then_by_code() -> None:
    a = Tariff("ZTO", (Rate(frozenset(), 1_000, 300, 1_000, 100),))
    b = Tariff("STO", (Rate(frozenset(), 1_000, 300, 1_000, 100),))
    c = Tariff("YUNDA", (Rate(frozenset(), 1_000, 300, 1_000, 100),))

    choice = choose_carrier(province="浙江", weight_g=1, tariffs=[a, b, c], on_time={"ZTO": 90, "STO": 90, "YUNDA": 97})

    assert [v.carrier_code for v in choice.candidates] == ["YUNDA", "STO", "ZTO"]


def test_when_every_carrier_is_excluded_none_is_chosen_and_the_explanation_says_why() -> None:
    choice = choose_carrier(province="浙江省", weight_g=800, tariffs=[ZTO, YTO], buyer_excluded=["ZTO", "YTO"])

    assert choice.chosen is None
    assert choice.explain() == (
        "800 g to 浙江省: no carrier",
        "ZTO: 3.00 yuan, on time 0% (assumed), excluded: the buyer asked not to use this carrier",
        "YTO: 2.80 yuan, on time 0% (assumed), excluded: the buyer asked not to use this carrier",
    )


def test_the_explanation_marks_the_chosen_carrier_and_every_cost() -> None:
    choice = choose_carrier(province="浙江省", weight_g=800, tariffs=[ZTO, SF], on_time={"ZTO": 96})

    assert choice.explain() == (
        "800 g to 浙江省: ZTO chosen",
        "ZTO: 3.00 yuan, on time 96%, score 300 ← chosen",
        "SF: 12.00 yuan, on time 0% (assumed), score 1200",
    )


def test_inconsistent_tariffs_and_inputs_are_refused() -> None:
    with pytest.raises(InvalidTariff):
        Tariff("ZTO", (Rate(JZH, 1_000, 300, 1_000, 100), Rate(frozenset({"浙江省"}), 1_000, 1, 1_000, 1)))
    with pytest.raises(InvalidTariff):
        Tariff("ZTO", (Rate(frozenset(), 1_000, 300, 1_000, 100), Rate(frozenset(), 1_000, 1, 1_000, 1)))
    with pytest.raises(InvalidTariff):
        Tariff("ZTO", (Rate(JZH, 0, 300, 1_000, 100),))
    with pytest.raises(InvalidChoiceInput):
        choose_carrier(province="浙江", weight_g=0, tariffs=[ZTO])
    with pytest.raises(InvalidChoiceInput):
        choose_carrier(province="浙江", weight_g=10, tariffs=[ZTO, ZTO])
    with pytest.raises(InvalidChoiceInput):
        ChoiceRules(min_on_time_percent=101)
