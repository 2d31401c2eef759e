"""A small warehouse floor for the fulfilment tests: SKUs with barcodes, sizes, weights, bins and enclosures, stock,
and a box catalogue. Orders are ingested and reviewed through the real services."""

import pytest

from kuaifa.domain.inventory.catalog import SkuSpec
from kuaifa.services.catalog import upsert_skus
from kuaifa.services.inventory import receive_stock
from kuaifa.services.packing import upsert_box_type
from tests.factories import ACTOR, NOW
from tests.fulfilment.floor import CUP_BARCODE, TEA_BARCODE


@pytest.fixture
def floor(shop):
    """TEA-001 (bin A-10, 说明书), CUP-002 (bin A-2, 气泡膜), LID-003 (bin B-1, no barcode: its code is scanned),
    GIFT-SET = 2 × TEA-001 + 1 × CUP-002 (with 发票 for the parcel); 100 of each in stock; boxes S < M < L."""
    upsert_skus(
        [
            SkuSpec(
                "TEA-001",
                name="绿茶",
                barcode=TEA_BARCODE,
                weight_g=320,
                length_mm=90,
                width_mm=90,
                height_mm=150,
                bin_location="A-10",
                enclosures=("说明书",),
            ),
            SkuSpec(
                "CUP-002",
                name="茶杯",
                barcode=CUP_BARCODE,
                weight_g=120,
                length_mm=80,
                width_mm=80,
                height_mm=60,
                bin_location="A-2",
                enclosures=("气泡膜",),
            ),
            SkuSpec("LID-003", name="杯盖", weight_g=30, length_mm=50, width_mm=50, height_mm=10, bin_location="B-1"),
            SkuSpec("GIFT-SET", name="礼盒", enclosures=("发票",), components=(("TEA-001", 2), ("CUP-002", 1))),
        ],
        now=NOW,
    )
    for code in ("TEA-001", "CUP-002", "LID-003"):
        receive_stock(code, 100, actor=ACTOR, now=NOW)
    # S holds one cup but not a tea tin (150 mm tall); M holds a tea tin; L holds anything here
    upsert_box_type("S", length_mm=100, width_mm=100, height_mm=100, max_load_g=2000, weight_g=40, price_fen=50,
                    stock=5, now=NOW)  # fmt: skip
    upsert_box_type("M", length_mm=200, width_mm=150, height_mm=160, max_load_g=5000, weight_g=90, price_fen=90,
                    stock=5, now=NOW)  # fmt: skip
    upsert_box_type("L", length_mm=400, width_mm=300, height_mm=300, max_load_g=20000, weight_g=300,
                    price_fen=200, stock=5, now=NOW)  # fmt: skip
    return shop
