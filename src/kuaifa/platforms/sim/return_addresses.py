"""The simulated shop's return addresses (退货地址库, ``pdd.refund.address.list.get``, pdd-reference §4.1).

Every shop gets two, derived from its seed and mall id only, so the same shop always lists the same ones: the
default (the shop's own warehouse) and a second return point in another region. The region ids are the
simulator's PDD-style ids from :mod:`~kuaifa.platforms.sim.catalog`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from kuaifa.platforms.sim.catalog import REGIONS, STREETS, Region
from kuaifa.platforms.sim.shop import ShopConfig

RETURN_ADDRESSES_PER_SHOP = 2


@dataclass(frozen=True, slots=True)
class SimReturnAddress:
    id: int
    mall_id: int
    name: str
    phone: str
    tel: str
    region: Region
    address: str
    is_default: bool

    def record(self) -> dict[str, Any]:
        """The address as ``refund_address_list[]`` shows it (field names of the SDKs' RefundAddressListItem)."""
        return {
            "id": self.id,
            "mall_id": self.mall_id,
            "refund_name": self.name,
            "refund_phone": self.phone,
            "refund_tel": self.tel,
            "province_id": self.region.province_id,
            "province_name": self.region.province,
            "city_id": self.region.city_id,
            "city_name": self.region.city,
            "district_id": self.region.town_id,
            "district_name": self.region.town,
            "refund_address": self.address,
            "is_default": "1" if self.is_default else "0",
            "is_legal": True,
            "is_validated": True,
        }


def return_addresses_for(config: ShopConfig) -> tuple[SimReturnAddress, ...]:
    """The shop's return addresses, the first one the default; deterministic in ``seed`` and ``mall_id``."""
    rng = random.Random(f"return-addresses|{config.seed}|{config.mall_id}")
    regions = rng.sample([region for region in REGIONS if region.postage_fen == 0], RETURN_ADDRESSES_PER_SHOP)
    addresses = []
    for index, region in enumerate(regions):
        addresses.append(
            SimReturnAddress(
                id=config.mall_id * 100 + index + 1,
                mall_id=config.mall_id,
                name=("售后仓" if index == 0 else "退货中转点") + f"{rng.randint(1, 9)}号",
                phone=f"1{rng.choice('3578')}{rng.randrange(10**8, 10**9)}",
                tel="" if index == 0 else f"0{rng.randint(20, 99)}-{rng.randrange(10**7, 10**8)}",
                region=region,
                address=f"{rng.choice(STREETS)}{rng.randint(1, 300)}号{rng.randint(1, 9)}号仓库",
                is_default=index == 0,
            )
        )
    return tuple(addresses)
