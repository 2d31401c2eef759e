"""The SKU master as a merchant writes it in a spreadsheet, before it is stored.

A SKU is known by the merchant's code (商家编码). A bundle (组合装) lists components as ``code*qty`` pairs and holds
no stock of its own. Enclosures are what must go in the parcel with it (发票 invoice, 说明书 manual, 赠品 gift,
protective material); the packing station checks them off.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SkuSpec:
    code: str
    name: str = ""
    spec: str = ""
    barcode: str = ""
    weight_g: int = 0
    length_mm: int = 0
    width_mm: int = 0
    height_mm: int = 0
    bin_location: str = ""
    enclosures: tuple[str, ...] = ()
    components: tuple[tuple[str, int], ...] = ()  # (component code, units per bundle)


@dataclass(frozen=True, slots=True)
class StockCount:
    """A counted quantity of one SKU in one warehouse (盘点 / opening stock)."""

    sku_code: str
    warehouse: str
    quantity: int
