"""Scan verification at packing: every unit scanned once, refusals with codes, enclosures confirmed, then close."""

from __future__ import annotations

import pytest

from kuaifa.domain.fulfilment.packing import (
    PARCEL,
    CloseCheck,
    EnclosureRequirement,
    ExpectedItem,
    InvalidPackingSession,
    Outcome,
    PackingSession,
    ScanRecord,
)

TEA = ExpectedItem("TEA-001", "6901234567892", 2, enclosures=("说明书",))
CUP = ExpectedItem("CUP-002", "6909876543210", 1, enclosures=("说明书", "气泡膜"))
CATALOGUE = {
    "6901234567892": "TEA-001",
    "6909876543210": "CUP-002",
    "6900000000017": "LID-003",
    "TEA-NEWPACK": "TEA-001",
}


def start(*items: ExpectedItem, parcel: tuple[str, ...] = ()) -> PackingSession:
    return PackingSession.start(items, parcel_enclosures=parcel, catalogue_barcodes=CATALOGUE)


def scan_all(session: PackingSession, *barcodes: str) -> PackingSession:
    for barcode in barcodes:
        session = session.scan(barcode).session
    return session


def test_a_scan_of_an_expected_sku_is_accepted_and_counted() -> None:
    session = start(TEA)

    result = session.scan("6901234567892")

    assert result.accepted
    assert (result.code, result.sku_code) == ("pack.accepted", "TEA-001")
    assert result.message == "TEA-001: 1 of 2 scanned."
    assert result.session.scanned == {"TEA-001": 1}
    assert session.scanned == {}  # the old state is unchanged


def test_an_unknown_barcode_is_refused_and_counts_nothing() -> None:
    session = start(TEA)

    result = session.scan("1234")

    assert not result.accepted
    assert result.code == "pack.unknown_barcode"
    assert result.message == "Barcode 1234 belongs to no SKU."
    assert result.session.scanned == {}


def test_a_known_sku_that_is_not_in_this_parcel_is_refused_by_name() -> None:
    result = start(TEA).scan("6900000000017")

    assert (result.outcome, result.sku_code) == (Outcome.SKU_NOT_IN_ORDER, "LID-003")
    assert result.message == "Barcode 6900000000017 is LID-003, which is not in this parcel. Put it back."
    assert result.session.scanned == {}


def test_one_unit_more_than_ordered_is_refused() -> None:
    session = scan_all(start(TEA), "6901234567892", "6901234567892")

    result = session.scan("6901234567892")

    assert result.outcome is Outcome.QUANTITY_COMPLETE
    assert result.message == "TEA-001 is complete: all 2 already scanned. Put this one back."
    assert result.session.scanned == {"TEA-001": 2}


def test_an_empty_scan_is_refused() -> None:
    assert start(TEA).scan(" \r\n").outcome is Outcome.EMPTY_BARCODE


def test_scanner_line_ends_and_full_width_digits_are_cleaned() -> None:
    result = start(TEA).scan("６９０１２３４５６７８９２\r\n")

    assert result.accepted
    assert result.session.history == (ScanRecord("6901234567892", Outcome.ACCEPTED, "TEA-001"),)


def test_a_second_barcode_from_the_catalogue_counts_for_the_same_sku() -> None:
    assert start(TEA).scan("TEA-NEWPACK").session.scanned == {"TEA-001": 1}


def test_a_sku_without_a_barcode_is_recognised_by_its_code() -> None:
    session = start(ExpectedItem("HANDMADE-7", "", 1))

    assert session.scan("HANDMADE-7").accepted


def test_history_records_refused_scans_too() -> None:
    session = scan_all(start(TEA), "6901234567892", "999")

    assert [(r.barcode, r.outcome) for r in session.history] == [
        ("6901234567892", Outcome.ACCEPTED),
        ("999", Outcome.UNKNOWN_BARCODE),
    ]


def test_the_parcel_cannot_close_while_units_or_enclosures_are_missing() -> None:
    session = scan_all(start(TEA, CUP, parcel=("发票",)), "6901234567892")

    check = session.can_close()

    assert check == CloseCheck(
        missing_items=(("TEA-001", 1), ("CUP-002", 1)),
        missing_enclosures=(
            EnclosureRequirement("TEA-001", "说明书"),
            EnclosureRequirement("CUP-002", "说明书"),
            EnclosureRequirement("CUP-002", "气泡膜"),
            EnclosureRequirement(PARCEL, "发票"),
        ),
    )
    assert not check


def test_everything_scanned_and_confirmed_closes() -> None:
    session = scan_all(start(TEA, CUP, parcel=("发票",)), "6901234567892", "6901234567892", "6909876543210")
    for name, sku in (("说明书", "TEA-001"), ("说明书", "CUP-002"), ("气泡膜", None), ("发票", None)):
        result = session.confirm_enclosure(name, sku)
        assert result.accepted, result.message
        session = result.session

    assert session.can_close() == CloseCheck((), ())
    assert session.can_close().ok


def test_a_name_required_by_several_skus_must_say_which_sku() -> None:
    session = start(TEA, CUP)

    result = session.confirm_enclosure("说明书")

    assert result.code == "pack.enclosure_ambiguous"
    assert result.message == "说明书 is required for several SKUs (TEA-001, CUP-002): say which one."
    assert result.session.confirmed == frozenset()


def test_an_enclosure_nobody_requires_is_refused() -> None:
    result = start(TEA).confirm_enclosure("赠品")

    assert (result.accepted, result.code) == (False, "pack.enclosure_not_required")


def test_confirming_an_enclosure_twice_is_harmless() -> None:
    once = start(TEA).confirm_enclosure("说明书").session

    twice = once.confirm_enclosure("说明书")

    assert twice.accepted
    assert twice.session.confirmed == frozenset({EnclosureRequirement("TEA-001", "说明书")})


def test_the_same_sku_on_two_lines_is_expected_once_with_both_quantities() -> None:
    session = start(TEA, ExpectedItem("TEA-001", "6901234567892", 3))

    assert session.expected == {"TEA-001": 5}
    assert session.requirements == (EnclosureRequirement("TEA-001", "说明书"),)


def test_one_barcode_on_two_skus_or_an_empty_parcel_is_refused() -> None:
    with pytest.raises(InvalidPackingSession):
        start(TEA, ExpectedItem("FAKE-TEA", "6901234567892", 1))
    with pytest.raises(InvalidPackingSession):
        start()
    with pytest.raises(InvalidPackingSession):
        start(ExpectedItem("TEA-001", "6901234567892", 0))
