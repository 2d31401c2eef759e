"""Carrier × province timeliness from journeys: on time within the promise, late when past it unsigned, not counted
while still within it; measured rates replace typed ones only from enough parcels."""

from datetime import UTC, datetime, timedelta

from kuaifa.domain.carriers.timeliness import Journey, OnTimeRate, Promise, Timeliness, measure, on_time_rates

T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
H = timedelta(hours=1)


def trip(carrier="YTO", province="浙江省", *, picked=4, signed: float | None = 30, returned=False) -> Journey:
    return Journey(carrier, province, T0, T0 + picked * H, None if signed is None else T0 + signed * H, returned)


def test_signed_within_the_promise_is_on_time_and_the_median_runs_from_pickup():
    rows = measure([trip(signed=30), trip(signed=70), trip(signed=80)], now=T0 + 200 * H)

    assert rows == [Timeliness("YTO", "浙江省", 3, 2, 66.0)]
    assert rows[0].on_time_percent == 67


def test_an_unsigned_parcel_counts_late_only_once_its_promise_has_passed():
    within = measure([trip(signed=None)], now=T0 + 71 * H)
    past = measure([trip(signed=None)], now=T0 + 73 * H)

    assert within == []
    assert past == [Timeliness("YTO", "浙江省", 1, 0, None)]


def test_remote_provinces_have_a_longer_promise_and_a_returned_parcel_is_late():
    rows = measure([trip(province="新疆维吾尔自治区", signed=110), trip(province="新疆维吾尔自治区", signed=50,
                                                                    returned=True)], now=T0 + 200 * H)  # fmt: skip

    assert [(r.counted, r.on_time) for r in rows] == [(2, 1)]
    assert Promise(by_province={"新疆维吾尔自治区": 4}).limit("新疆维吾尔自治区") == timedelta(days=4)


def test_measured_rates_replace_typed_ones_only_from_enough_parcels():
    measured = [Timeliness("YTO", "浙江省", 25, 20, 30.0), Timeliness("SF", "浙江省", 5, 5, 20.0),
                Timeliness("ZTO", "江苏省", 40, 40, 30.0)]  # fmt: skip

    rates = on_time_rates(measured, {"YTO": 95, "SF": 90, "ZTO": 70}, "浙江省", min_parcels=20)

    assert rates == {"YTO": OnTimeRate(80, True, 25), "SF": OnTimeRate(90, False), "ZTO": OnTimeRate(70, False)}
