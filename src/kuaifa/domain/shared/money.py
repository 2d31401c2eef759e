"""Money is integer fen (分) end to end.

Platforms speak yuan: PDD order amounts are JSON floats (``19.9``), export files hold strings (``"19.90"``).
Conversion is exact: a float is read through its shortest decimal repr, never multiplied in binary, and anything
with more than two decimal places is refused rather than rounded away.
"""

from __future__ import annotations

from decimal import Decimal, DecimalException, Inexact, InvalidOperation, localcontext

from kuaifa.domain.shared.errors import InvalidMoney

_FEN_PER_YUAN = Decimal(100)


def _plain_fen(text: str) -> int | None:
    """Fast exact path for the common shapes ``"19"``, ``"-19.9"``, ``"19.90"``; None for anything else."""
    sign = -1 if text.startswith("-") else 1
    whole, dot, part = text.lstrip("-").partition(".")
    if not whole.isdigit() or not whole.isascii() or len(part) > 2 or (dot and not (part.isdigit() and part.isascii())):
        return None
    return sign * (int(whole) * 100 + int(part.ljust(2, "0") or 0))


def yuan_to_fen(value: str | float | int | Decimal) -> int:
    """Convert a yuan amount to integer fen exactly; blank strings are not money and raise."""
    if isinstance(value, bool):
        raise InvalidMoney(value=value)
    if isinstance(value, int):
        return value * 100
    if isinstance(value, float | str):
        fast = _plain_fen(repr(value) if isinstance(value, float) else value.strip())
        if fast is not None:
            return fast
    if isinstance(value, float):
        text = repr(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        sign = "-" if text.startswith("-") else ""
        text = sign + text.removeprefix("-").strip().removeprefix("¥").removeprefix("￥").strip()
    else:
        text = str(value)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InvalidMoney(value=value) from None
    if not amount.is_finite():
        raise InvalidMoney(value=value)
    with localcontext() as exact:
        # wide enough that ×100 never rounds; an exponent out of range is refused, never rounded to 0 or raised raw
        exact.prec = max(exact.prec, len(amount.as_tuple().digits) + 2)
        exact.traps[Inexact] = True
        try:
            fen = amount * _FEN_PER_YUAN
        except DecimalException:
            raise InvalidMoney(value=value) from None
        if fen != fen.to_integral_value():
            raise InvalidMoney(value=value)
    return int(fen)


def fen_to_yuan(fen: int) -> str:
    """Format fen as a yuan string with two decimals, for display and for platform files: ``1990`` → ``"19.90"``."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), 100)
    return f"{sign}{whole}.{part:02d}"


#: how far from a whole fen a platform's yuan double may be and still be that fen (float noise of price × qty)
PLATFORM_TOLERANCE_YUAN = Decimal("0.000001")
_FAST_LIMIT = 1e13


def platform_yuan_to_fen(value: str | float | int | Decimal) -> int:
    """A yuan amount as a platform's JSON sends it: a double within 1e-6 yuan of a whole fen is that fen.

    Platforms compute amounts in binary floating point (``89.9 * 3`` is ``269.70000000000005``); the nearest fen
    is taken exactly, through the float's shortest decimal repr and :class:`~decimal.Decimal`, never by float
    rounding. A value further from a whole fen (``19.995``) is not an amount and raises. Strings, ints and
    Decimals are read exactly as :func:`yuan_to_fen` reads them.
    """
    if not isinstance(value, float):
        return yuan_to_fen(value)
    if -_FAST_LIMIT < value < _FAST_LIMIT:
        # the common case: the double nearest to a whole number of fen. Below 10¹³ yuan no two amounts of at most
        # two decimals share a double, so ``fen / 100 == value`` (exact integer division) means the double's
        # shortest repr is that amount, which is what the exact path below would find
        whole = round(value * 100)
        if whole / 100 == value:
            return whole
    amount = Decimal(repr(value))
    if not amount.is_finite():
        raise InvalidMoney(value=value)
    with localcontext() as exact:
        exact.prec = max(exact.prec, len(amount.as_tuple().digits) + 4)
        fen = (amount * _FEN_PER_YUAN).to_integral_value(rounding="ROUND_HALF_EVEN")
        if abs(amount - fen / _FEN_PER_YUAN) > PLATFORM_TOLERANCE_YUAN:
            raise InvalidMoney(value=value)
    return int(fen)
