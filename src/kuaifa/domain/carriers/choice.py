"""Carrier choice (选快递): which carrier takes a parcel, and why.

Business rules, applied to every carrier the shop has a tariff with:

1. A carrier the buyer asked not to use (PDD ``express_memos``, scene 1) is excluded — a platform promise.
2. A carrier whose tariff has no rate for the destination province (no matching group, no catch-all) is excluded.
3. A carrier whose parcel weight limit is below the parcel's weight is excluded.
4. A carrier whose on-time score for this destination is below ``rules.min_on_time_percent`` is excluded.
   A carrier with no score is taken at ``rules.unscored_on_time_percent`` (0 by default: unknown is not trusted).
5. Of the rest the lowest score wins: cost + ``rules.fen_per_on_time_point`` × (100 − on-time %), so a merchant can
   pay a little more for a punctual carrier; ties go to the cheaper, then the more punctual, then the code.

Cost is the tariff's first-weight fee plus one step fee per started step above the first weight (首重 + 续重), in
fen, for the rate of the destination's province group. Province names match in any usual form: "浙江省",
"浙江", "广西壮族自治区" and "广西" are the same province. Volumetric weight is not modelled: pass the weight the
carrier bills. The result lists every candidate with its cost and, if excluded, why.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from kuaifa.domain.carriers.catalog import CARRIERS, canonical_code
from kuaifa.domain.shared.errors import DomainError, Text

_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")


class InvalidTariff(DomainError):
    code = "carrier.invalid_tariff"
    template = "Tariff of %(carrier)s: %(reason)s"


class InvalidChoiceInput(DomainError):
    code = "carrier.invalid_input"
    template = "Carrier choice: %(reason)s"


class Exclusion(StrEnum):
    BUYER_EXCLUDED = "carrier.buyer_excluded"
    NO_RATE = "carrier.no_rate"
    TOO_HEAVY = "carrier.too_heavy"
    ON_TIME_TOO_LOW = "carrier.on_time_too_low"


EXCLUSION_REASONS: Mapping[Exclusion, str] = MappingProxyType(
    {
        Exclusion.BUYER_EXCLUDED: "the buyer asked not to use this carrier",
        Exclusion.NO_RATE: "no rate for this province",
        Exclusion.TOO_HEAVY: "the parcel is over this carrier's weight limit",
        Exclusion.ON_TIME_TOO_LOW: "on-time score below the minimum",
    }
)


def province_key(name: str) -> str:
    """The bare province name: full-width folded, spaces dropped, "省/市/…自治区/特别行政区" removed."""
    text = "".join(unicodedata.normalize("NFKC", name).split())
    for suffix in _PROVINCE_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


@dataclass(frozen=True, slots=True)
class Rate:
    """首重 + 续重 for a group of provinces; an empty group is the catch-all for provinces no other rate names."""

    provinces: frozenset[str]
    first_weight_g: int
    first_fee_fen: int
    step_weight_g: int
    step_fee_fen: int

    def cost_fen(self, weight_g: int) -> int:
        steps = math.ceil(max(weight_g - self.first_weight_g, 0) / self.step_weight_g)
        return self.first_fee_fen + steps * self.step_fee_fen

    @property
    def province_keys(self) -> frozenset[str]:
        return frozenset(province_key(p) for p in self.provinces)


@dataclass(frozen=True, slots=True)
class Tariff:
    carrier_code: str
    rates: tuple[Rate, ...]
    max_weight_g: int | None = None

    def __post_init__(self) -> None:
        seen: set[str] = set()
        catch_alls = 0
        for rate in self.rates:
            if rate.first_weight_g <= 0 or rate.step_weight_g <= 0:
                raise InvalidTariff(
                    carrier=self.carrier_code, reason=Text("first and step weights must be positive grams")
                )
            if rate.first_fee_fen < 0 or rate.step_fee_fen < 0:
                raise InvalidTariff(carrier=self.carrier_code, reason=Text("fees cannot be negative"))
            keys = rate.province_keys
            if not keys:
                catch_alls += 1
            if keys & seen:
                raise InvalidTariff(
                    carrier=self.carrier_code,
                    reason=Text("%(names)s priced twice", names=", ".join(sorted(keys & seen))),
                )
            seen |= keys
        if catch_alls > 1:
            raise InvalidTariff(carrier=self.carrier_code, reason=Text("more than one catch-all rate"))
        if self.max_weight_g is not None and self.max_weight_g <= 0:
            raise InvalidTariff(carrier=self.carrier_code, reason=Text("the weight limit must be positive grams"))

    def rate_for(self, province: str) -> Rate | None:
        key = province_key(province)
        named = next((r for r in self.rates if key in r.province_keys), None)
        return named or next((r for r in self.rates if not r.provinces), None)


@dataclass(frozen=True, slots=True)
class ChoiceRules:
    min_on_time_percent: int = 0
    fen_per_on_time_point: int = 0
    unscored_on_time_percent: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.min_on_time_percent <= 100 or not 0 <= self.unscored_on_time_percent <= 100:
            raise InvalidChoiceInput(reason=Text("on-time percentages run from 0 to 100"))
        if self.fen_per_on_time_point < 0:
            raise InvalidChoiceInput(reason=Text("the price of an on-time point cannot be negative"))


@dataclass(frozen=True, slots=True)
class CandidateVerdict:
    carrier_code: str
    cost_fen: int | None  # None: no rate for the destination
    on_time_percent: int
    on_time_scored: bool  # False: the rules' assumed score for an unscored carrier was used
    score_fen: int | None  # cost + on-time penalty; None when excluded
    excluded: Exclusion | None


@dataclass(frozen=True, slots=True)
class CarrierChoice:
    """The chosen carrier code (None: every candidate excluded) and every candidate, best first, excluded last."""

    chosen: str | None
    candidates: tuple[CandidateVerdict, ...]
    province: str
    weight_g: int

    def explain(self) -> tuple[str, ...]:
        """One line per candidate, for the operator and the audit trail."""
        lines = [f"{self.weight_g} g to {self.province}: " + (f"{self.chosen} chosen" if self.chosen else "no carrier")]
        for c in self.candidates:
            cost = f"{c.cost_fen / 100:.2f} yuan" if c.cost_fen is not None else "no price"
            on_time = f"on time {c.on_time_percent}%" + ("" if c.on_time_scored else " (assumed)")
            verdict = f"excluded: {EXCLUSION_REASONS[c.excluded]}" if c.excluded else f"score {c.score_fen}"
            mark = " ← chosen" if c.carrier_code == self.chosen else ""
            lines.append(f"{c.carrier_code}: {cost}, {on_time}, {verdict}{mark}")
        return tuple(lines)


def choose_carrier(
    *,
    province: str,
    weight_g: int,
    tariffs: Iterable[Tariff],
    buyer_excluded: Iterable[str] = (),
    on_time: Mapping[str, int] | None = None,
    rules: ChoiceRules = ChoiceRules(),
) -> CarrierChoice:
    """Choose the carrier for one parcel by the rules in the module docstring, explaining every candidate."""
    if isinstance(weight_g, bool) or weight_g <= 0:
        raise InvalidChoiceInput(reason=Text("the parcel weight must be positive grams"))
    refused = {canonical_code(code) for code in buyer_excluded}
    scores = {canonical_code(code): pct for code, pct in (on_time or {}).items()}
    verdicts: list[CandidateVerdict] = []
    seen: set[str] = set()
    for tariff in tariffs:
        code = canonical_code(tariff.carrier_code)
        if code in seen:
            raise InvalidChoiceInput(reason=Text("two tariffs for %(code)s", code=code))
        seen.add(code)
        rate = tariff.rate_for(province)
        cost = rate.cost_fen(weight_g) if rate else None
        scored = code in scores
        punctual = scores[code] if scored else rules.unscored_on_time_percent
        excluded: Exclusion | None = None
        if code in refused:
            excluded = Exclusion.BUYER_EXCLUDED
        elif cost is None:
            excluded = Exclusion.NO_RATE
        elif tariff.max_weight_g is not None and weight_g > tariff.max_weight_g:
            excluded = Exclusion.TOO_HEAVY
        elif punctual < rules.min_on_time_percent:
            excluded = Exclusion.ON_TIME_TOO_LOW
        score = None
        if excluded is None and cost is not None:
            score = cost + rules.fen_per_on_time_point * (100 - punctual)
        verdicts.append(CandidateVerdict(code, cost, punctual, scored, score, excluded))
    eligible = sorted(
        (v for v in verdicts if v.score_fen is not None),
        key=lambda v: (v.score_fen, v.cost_fen, -v.on_time_percent, v.carrier_code),
    )
    ranked = (*eligible, *(v for v in verdicts if v.score_fen is None))
    return CarrierChoice(eligible[0].carrier_code if eligible else None, ranked, province, weight_g)


_REFUSING = ("不要", "别发", "别用", "不发", "不用", "拒收", "不接受")
_CLAUSE_ENDS = "，。！？；,.!?;\n"


def exclusions_from_memo(memo: str) -> frozenset[str]:
    """Carriers a buyer's memo refuses ("不要发韵达", "别用中通和申通"): their codes. Buyers on PDD write this in the
    order memo (the platform's express_memos carry the same wish). Every carrier named after a refusing word in the
    same clause is refused; a carrier merely named ("顺丰最好") is not."""
    text = "".join(memo.split())
    for mark in _CLAUSE_ENDS:
        text = text.replace(mark, "|")
    refused: set[str] = set()
    for clause in text.split("|"):
        starts = [clause.find(word) for word in _REFUSING if word in clause]
        if not starts:
            continue
        tail = clause[min(starts) :]
        for carrier in CARRIERS:
            names = {carrier.name, carrier.name.removesuffix("快递").removesuffix("速递"), *carrier.aliases}
            if any(name and name in tail for name in names):
                refused.add(carrier.code)
    return frozenset(refused)


@dataclass(frozen=True, slots=True)
class TariffRow:
    """One line of the merchant's tariff sheet: a carrier's price for a province group (empty = all others), and
    its on-time rate there when known."""

    row: int
    carrier_code: str
    provinces: tuple[str, ...]
    first_weight_g: int
    first_fee_fen: int
    step_weight_g: int
    step_fee_fen: int
    max_weight_g: int | None = None
    on_time_percent: int | None = None


def tariffs_from_rows(rows: Iterable[TariffRow]) -> tuple[Tariff, ...]:
    """Group sheet rows into one tariff per carrier (the domain refuses a province named twice for a carrier)."""
    by_carrier: dict[str, list[TariffRow]] = {}
    for row in rows:
        by_carrier.setdefault(row.carrier_code, []).append(row)
    return tuple(
        Tariff(
            code,
            tuple(Rate(frozenset(r.provinces), r.first_weight_g, r.first_fee_fen, r.step_weight_g, r.step_fee_fen)
                  for r in group),
            max(r.max_weight_g for r in group if r.max_weight_g) if any(r.max_weight_g for r in group) else None,
        )
        for code, group in by_carrier.items()
    )  # fmt: skip


def on_time_for(rows: Iterable[TariffRow], province: str) -> dict[str, int]:
    """Each carrier's on-time rate for this destination: its row naming the province, else its catch-all row."""
    key = province_key(province)
    named: dict[str, int] = {}
    fallback: dict[str, int] = {}
    for row in rows:
        if row.on_time_percent is None:
            continue
        if not row.provinces:
            fallback[row.carrier_code] = row.on_time_percent
        elif key in {province_key(p) for p in row.provinces}:
            named[row.carrier_code] = row.on_time_percent
    return fallback | named
