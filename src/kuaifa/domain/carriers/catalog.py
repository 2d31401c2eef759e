"""PDD's carrier table (``pdd.logistics.companies.get``) as data, from pdd-reference §3.2.

Business rule: shipping uploads the numeric carrier ``id``; the e-waybill APIs use the carrier ``code``. Ids are
stable; codes and availability change over time, so the live list fetched at runtime wins over this one — this
table is the offline default and the vocabulary of the rules (tracking checks, carrier choice) keyed on codes.
A carrier's former codes are kept as aliases (极兔 was JTKD in 2020 and is JTSD in 2026).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Carrier:
    id: int
    name: str
    code: str
    aliases: tuple[str, ...] = ()
    active: bool = True  # False: listed by PDD but a duplicate or retired entry


CARRIERS: tuple[Carrier, ...] = (
    Carrier(1, "申通快递", "STO"),
    Carrier(3, "百世快递", "HT"),
    Carrier(44, "顺丰快递", "SF"),
    Carrier(85, "圆通快递", "YTO"),
    Carrier(115, "中通快递", "ZTO"),
    Carrier(117, "优速快递", "YS"),
    Carrier(118, "邮政EMS", "EMS"),
    Carrier(119, "天天快递", "TT"),
    Carrier(120, "京东配送", "JD"),
    Carrier(121, "韵达快递", "YUNDA"),
    Carrier(124, "国通快递", "GTO"),
    Carrier(129, "宅急送快递", "ZJS"),
    Carrier(131, "德邦快递", "DB"),
    Carrier(132, "邮政快递包裹", "YZXB"),
    Carrier(155, "速尔快递", "SURE"),
    Carrier(180, "其他", "SELF"),
    Carrier(183, "跨越速运", "KYE"),
    Carrier(204, "百世快递", "BSKD", active=False),
    Carrier(208, "安能快递", "ANNENG"),
    Carrier(230, "德邦物流", "DEBANGWULIU"),
    Carrier(324, "邮政标准快递", "POSTBBZ"),
    Carrier(340, "京东大件物流", "JDKD"),
    Carrier(343, "中通快运", "ZTOKY"),
    Carrier(344, "韵达快运", "YDKY"),
    Carrier(345, "安能快运", "ANKY"),
    Carrier(348, "壹米滴答", "YMDD"),
    Carrier(372, "顺丰快运", "SFKY"),
    Carrier(384, "极兔", "JTSD", aliases=("JTKD",)),
)


def _index(carriers: Iterable[Carrier]) -> tuple[Mapping[int, Carrier], Mapping[str, Carrier]]:
    by_id: dict[int, Carrier] = {}
    by_code: dict[str, Carrier] = {}
    for carrier in carriers:
        by_id[carrier.id] = carrier
        for code in (carrier.code, *carrier.aliases):
            by_code[code.upper()] = carrier
    return MappingProxyType(by_id), MappingProxyType(by_code)


_BY_ID, _BY_CODE = _index(CARRIERS)


def carrier_by_id(carrier_id: int) -> Carrier | None:
    """The carrier PDD knows under ``carrier_id`` (``logistics_id``), if it is in the table."""
    return _BY_ID.get(carrier_id)


def carrier_by_code(code: str) -> Carrier | None:
    """The carrier with this code or a former code, ignoring case and surrounding spaces."""
    return _BY_CODE.get(code.strip().upper())


def canonical_code(code: str) -> str:
    """A carrier's current code for any of its codes; an unknown code comes back upper-cased and stripped."""
    carrier = carrier_by_code(code)
    return carrier.code if carrier else code.strip().upper()
