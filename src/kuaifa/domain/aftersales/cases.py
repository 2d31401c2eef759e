"""Our after-sales case state, the merchant's decisions, and when a case needs attention.

PDD's ``after_sales_status`` (pdd-reference §4.2) says whose turn it is on the platform; :class:`CaseState` says
what *we* have to do. :func:`our_state` derives it from the platform's code, the case type and whether the
buyer's return parcel is on its way; every (code, type, parcel) has exactly one state:

======  ================================  =======================================  =====================
code    PDD meaning                       condition                                our state
======  ================================  =======================================  =====================
0       无售后                             —                                        NONE
2       买家申请退款，待商家处理             —                                        REFUND_REQUESTED
3       退货退款，待商家处理                 no return parcel (or type without goods  RETURN_REQUESTED
                                          back)
3       退货退款，待商家处理                 return parcel shipped, goods-back type   RETURN_IN_TRANSIT
4       商家同意退款，退款中                 —                                        WAITING_PLATFORM
5       平台同意退款，退款中                 —                                        WAITING_PLATFORM
6       驳回退款，待买家处理                 —                                        WAITING_BUYER
7       已同意退货退款，待用户发货           —                                        WAITING_BUYER
8       平台处理中                          —                                        WAITING_PLATFORM
9       平台拒绝退款，退款关闭               —                                        CLOSED_REJECTED
10      退款成功                            —                                        CLOSED_REFUNDED
11      买家撤销                            —                                        CLOSED_CANCELLED
12      买家逾期未处理，退款失败             —                                        CLOSED_CANCELLED
13      买家逾期，超过有效期                 —                                        CLOSED_CANCELLED
14      换货补寄待商家处理                   type RESEND                              RESEND_REQUESTED
14      换货补寄待商家处理                   other types, no return parcel            EXCHANGE_REQUESTED
14      换货补寄待商家处理                   return parcel shipped, goods-back type   RETURN_IN_TRANSIT
15      换货补寄待用户处理                   —                                        WAITING_BUYER
16      换货补寄成功                        —                                        RESOLVED
17      换货补寄失败                        —                                        CLOSED_REJECTED
18      换货补寄待用户确认完成               —                                        WAITING_BUYER
21      待商家同意维修                      no return parcel                         REPAIR_REQUESTED
21      待商家同意维修                      return parcel shipped, goods-back type   RETURN_IN_TRANSIT
22      待用户确认发货                      —                                        WAITING_BUYER
24      维修关闭                            —                                        CLOSED_REJECTED
25      维修成功                            —                                        RESOLVED
27      待用户确认收货                      —                                        WAITING_BUYER
31      已同意拒收退款，待用户拒收           —                                        WAITING_BUYER
32      补寄待商家发货                      —                                        RESEND_REQUESTED
33      (同意召回后退款)待商家召回           —                                        RECALL_DUE
======  ================================  =======================================  =====================

Goods-back types are 退货退款, 换货 and 维修. A code waits on the merchant exactly when our state is in
:data:`MERCHANT_TURN`, and is terminal exactly when our state is in :data:`CLOSED`. PDD has no separate code for
"the buyer has sent the return"; the case keeps waiting on the merchant with the return waybill filled in, hence
the parcel condition (inference from §4.3, where list and detail carry the return ``tracking_number``).

Four states exist only on our side, reached by the warehouse's decisions while the platform still waits on the
merchant (or still shows the buyer's turn to send the goods back): RECEIVED, INSPECTED, INSPECTED_DAMAGED and
RESTOCKED. :func:`reconcile` keeps them across a sync.

The merchant's decisions (:data:`DECISIONS`, one row per state; any state not listed allows none):

====================  =====================================================================================
state                 decision → next state
====================  =====================================================================================
REFUND_REQUESTED      agree_refund → WAITING_PLATFORM, reject → WAITING_BUYER
RETURN_REQUESTED      agree_return → WAITING_BUYER, agree_refund → WAITING_PLATFORM, reject → WAITING_BUYER
EXCHANGE_REQUESTED    agree_return → WAITING_BUYER, reject → WAITING_BUYER
RESEND_REQUESTED      resend → WAITING_BUYER, reject → WAITING_BUYER
REPAIR_REQUESTED      agree_return → WAITING_BUYER, reject → WAITING_BUYER
RECALL_DUE            receive_return → RECEIVED, agree_refund → WAITING_PLATFORM
RETURN_IN_TRANSIT     receive_return → RECEIVED, agree_refund → WAITING_PLATFORM
RECEIVED              inspect_ok → INSPECTED, inspect_damaged → INSPECTED_DAMAGED
INSPECTED             restock → RESTOCKED, agree_refund → WAITING_PLATFORM, resend → WAITING_BUYER
INSPECTED_DAMAGED     agree_refund → WAITING_PLATFORM, reject → WAITING_BUYER
RESTOCKED             agree_refund → WAITING_PLATFORM, resend → WAITING_BUYER
====================  =====================================================================================

``reject`` has no public API (pdd-reference §4.1): it is done in the merchant back office
(:data:`BACK_OFFICE_ONLY`). ``receive_return``, ``inspect_*`` and ``restock`` are warehouse steps with no platform
call. Restocking moves the state on so the goods can be counted back once only.

:func:`needs_attention` reads the platform's ``expire_time``; no hour figure is assumed anywhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from kuaifa.domain.aftersales.canonical import (
    GOODS_BACK_TYPES,
    CanonicalCase,
    CaseType,
    PlatformCaseStatus,
    platform_status,
)
from kuaifa.domain.aftersales.errors import DecisionNotAllowed


class CaseState(StrEnum):
    NONE = "NONE"
    REFUND_REQUESTED = "REFUND_REQUESTED"
    RETURN_REQUESTED = "RETURN_REQUESTED"
    EXCHANGE_REQUESTED = "EXCHANGE_REQUESTED"
    RESEND_REQUESTED = "RESEND_REQUESTED"
    REPAIR_REQUESTED = "REPAIR_REQUESTED"
    RECALL_DUE = "RECALL_DUE"
    RETURN_IN_TRANSIT = "RETURN_IN_TRANSIT"
    RECEIVED = "RECEIVED"
    INSPECTED = "INSPECTED"
    INSPECTED_DAMAGED = "INSPECTED_DAMAGED"
    RESTOCKED = "RESTOCKED"
    WAITING_BUYER = "WAITING_BUYER"
    WAITING_PLATFORM = "WAITING_PLATFORM"
    CLOSED_REFUNDED = "CLOSED_REFUNDED"
    CLOSED_REJECTED = "CLOSED_REJECTED"
    CLOSED_CANCELLED = "CLOSED_CANCELLED"
    RESOLVED = "RESOLVED"


class Decision(StrEnum):
    AGREE_REFUND = "agree_refund"
    AGREE_RETURN = "agree_return"
    REJECT = "reject"
    RECEIVE_RETURN = "receive_return"
    INSPECT_OK = "inspect_ok"
    INSPECT_DAMAGED = "inspect_damaged"
    RESTOCK = "restock"
    RESEND = "resend"


S = CaseState
D = Decision
P = PlatformCaseStatus

#: our state for each platform code, before the case type and the return parcel refine 3, 14 and 21.
BY_PLATFORM_STATUS: dict[PlatformCaseStatus, CaseState] = {
    P.NONE: S.NONE,
    P.REFUND_REQUESTED: S.REFUND_REQUESTED,
    P.RETURN_REQUESTED: S.RETURN_REQUESTED,
    P.MERCHANT_AGREED_REFUNDING: S.WAITING_PLATFORM,
    P.PLATFORM_AGREED_REFUNDING: S.WAITING_PLATFORM,
    P.REJECTED_WAITING_BUYER: S.WAITING_BUYER,
    P.RETURN_AGREED_WAITING_BUYER_SHIPMENT: S.WAITING_BUYER,
    P.PLATFORM_PROCESSING: S.WAITING_PLATFORM,
    P.PLATFORM_REFUSED_CLOSED: S.CLOSED_REJECTED,
    P.REFUNDED: S.CLOSED_REFUNDED,
    P.BUYER_WITHDREW: S.CLOSED_CANCELLED,
    P.BUYER_OVERDUE_FAILED: S.CLOSED_CANCELLED,
    P.BUYER_OVERDUE_EXPIRED: S.CLOSED_CANCELLED,
    P.EXCHANGE_WAITING_MERCHANT: S.EXCHANGE_REQUESTED,
    P.EXCHANGE_WAITING_BUYER: S.WAITING_BUYER,
    P.EXCHANGE_SUCCEEDED: S.RESOLVED,
    P.EXCHANGE_FAILED: S.CLOSED_REJECTED,
    P.EXCHANGE_WAITING_BUYER_CONFIRMATION: S.WAITING_BUYER,
    P.REPAIR_WAITING_MERCHANT: S.REPAIR_REQUESTED,
    P.WAITING_BUYER_SHIPMENT: S.WAITING_BUYER,
    P.REPAIR_CLOSED: S.CLOSED_REJECTED,
    P.REPAIR_SUCCEEDED: S.RESOLVED,
    P.WAITING_BUYER_RECEIPT: S.WAITING_BUYER,
    P.REFUSAL_AGREED_WAITING_BUYER: S.WAITING_BUYER,
    P.RESEND_WAITING_MERCHANT_SHIPMENT: S.RESEND_REQUESTED,
    P.RECALL_WAITING_MERCHANT: S.RECALL_DUE,
}

#: codes after which a return parcel on its way means the merchant's next step is receiving it.
RETURN_AWAITED = frozenset({P.RETURN_REQUESTED, P.EXCHANGE_WAITING_MERCHANT, P.REPAIR_WAITING_MERCHANT})

#: the merchant's decision requests, as the platform states them.
REQUESTS = frozenset(
    {S.REFUND_REQUESTED, S.RETURN_REQUESTED, S.EXCHANGE_REQUESTED, S.RESEND_REQUESTED, S.REPAIR_REQUESTED}
)
#: our own warehouse progress on a returned parcel; the platform has no code for these.
WAREHOUSE = frozenset({S.RECEIVED, S.INSPECTED, S.INSPECTED_DAMAGED, S.RESTOCKED})
#: states in which the merchant has to act (the platform's "waiting on merchant" plus our warehouse steps).
MERCHANT_TURN = REQUESTS | WAREHOUSE | {S.RECALL_DUE, S.RETURN_IN_TRANSIT}
#: states in which the case is over.
CLOSED = frozenset({S.CLOSED_REFUNDED, S.CLOSED_REJECTED, S.CLOSED_CANCELLED, S.RESOLVED})

#: the decisions allowed in each state and the state each leads to; a state not listed allows none.
DECISIONS: dict[CaseState, dict[Decision, CaseState]] = {
    S.REFUND_REQUESTED: {D.AGREE_REFUND: S.WAITING_PLATFORM, D.REJECT: S.WAITING_BUYER},
    S.RETURN_REQUESTED: {
        D.AGREE_RETURN: S.WAITING_BUYER,
        D.AGREE_REFUND: S.WAITING_PLATFORM,  # refund without asking for the goods back
        D.REJECT: S.WAITING_BUYER,
    },
    S.EXCHANGE_REQUESTED: {D.AGREE_RETURN: S.WAITING_BUYER, D.REJECT: S.WAITING_BUYER},
    S.RESEND_REQUESTED: {D.RESEND: S.WAITING_BUYER, D.REJECT: S.WAITING_BUYER},
    S.REPAIR_REQUESTED: {D.AGREE_RETURN: S.WAITING_BUYER, D.REJECT: S.WAITING_BUYER},
    S.RECALL_DUE: {D.RECEIVE_RETURN: S.RECEIVED, D.AGREE_REFUND: S.WAITING_PLATFORM},
    S.RETURN_IN_TRANSIT: {D.RECEIVE_RETURN: S.RECEIVED, D.AGREE_REFUND: S.WAITING_PLATFORM},
    S.RECEIVED: {D.INSPECT_OK: S.INSPECTED, D.INSPECT_DAMAGED: S.INSPECTED_DAMAGED},
    S.INSPECTED: {D.RESTOCK: S.RESTOCKED, D.AGREE_REFUND: S.WAITING_PLATFORM, D.RESEND: S.WAITING_BUYER},
    S.INSPECTED_DAMAGED: {D.AGREE_REFUND: S.WAITING_PLATFORM, D.REJECT: S.WAITING_BUYER},
    S.RESTOCKED: {D.AGREE_REFUND: S.WAITING_PLATFORM, D.RESEND: S.WAITING_BUYER},
}

#: decisions with no public API: a person makes them in the PDD merchant back office (pdd-reference §4.1).
BACK_OFFICE_ONLY = frozenset({D.REJECT})
#: decisions that stay in our warehouse: nothing is sent to the platform.
WAREHOUSE_DECISIONS = frozenset({D.RECEIVE_RETURN, D.INSPECT_OK, D.INSPECT_DAMAGED, D.RESTOCK})
#: the API that carries each platform decision (§4.1). Which API agrees an exchange or a repair is not
#: documented; ``pdd.refund.returngoods.agree`` is the documented one for 退货退款.
PLATFORM_API: dict[Decision, str] = {
    D.AGREE_REFUND: "pdd.refund.agree",
    D.AGREE_RETURN: "pdd.refund.returngoods.agree",
    D.RESEND: "pdd.refund.exchange.shipping",
}


def our_state(platform_status_code: int, case_type: CaseType, *, return_shipped: bool = False) -> CaseState:
    """Our state for PDD's ``after_sales_status``; ``return_shipped``: the buyer's return waybill is known.

    Raises :class:`~kuaifa.domain.aftersales.errors.UnknownCaseStatus` for a code outside §4.2.
    """
    code = platform_status(platform_status_code)
    if code in RETURN_AWAITED and return_shipped and case_type in GOODS_BACK_TYPES:
        return S.RETURN_IN_TRANSIT
    if code is P.EXCHANGE_WAITING_MERCHANT and case_type is CaseType.RESEND:
        return S.RESEND_REQUESTED
    return BY_PLATFORM_STATUS[code]


def state_of(case: CanonicalCase) -> CaseState:
    """Our state for a case as the platform describes it (the return waybill counts as a shipped return)."""
    return our_state(case.platform_status, case.case_type, return_shipped=bool(case.tracking_number))


def reconcile(current: CaseState | None, platform_state: CaseState) -> CaseState:
    """The state to keep after a sync: our warehouse progress while the platform still waits on the merchant or
    on the buyer (7 已同意退货，待用户发货 lags behind a parcel already on our shelf), otherwise what the platform
    says (it decided or closed)."""
    if current in WAREHOUSE and (platform_state in MERCHANT_TURN or platform_state is S.WAITING_BUYER):
        return current
    return platform_state


def allowed_decisions(state: CaseState) -> frozenset[Decision]:
    return frozenset(DECISIONS.get(state, {}))


def decide(state: CaseState, action: Decision, *, after_sales_id: str = "") -> CaseState:
    """The state after the merchant's ``action``; raises :class:`DecisionNotAllowed` if ``state`` does not allow it."""
    allowed = DECISIONS.get(state, {})
    if action not in allowed:
        raise DecisionNotAllowed(
            after_sales_id=after_sales_id or "<unknown>",
            state=state.value,
            action=action.value,
            allowed=", ".join(sorted(allowed)) or "none",
        )
    return allowed[action]


def inspection(ok: bool) -> Decision:
    """The inspection outcome as a decision: ``inspect(ok)`` or ``inspect(damaged)``."""
    return D.INSPECT_OK if ok else D.INSPECT_DAMAGED


def needs_attention(
    case: CanonicalCase, now: datetime, *, warn_before: timedelta | None = None
) -> tuple[bool, timedelta | None]:
    """Whether the merchant must act on ``case`` now, and the time left before the platform's ``expire_time``.

    Only a case waiting on the merchant (§4.2) needs attention. The time left is ``expire_time - now`` (zero or
    negative once the deadline has passed) or None when the platform gave no deadline (list records carry none).
    With ``warn_before`` the case needs attention only from that long before the deadline on (and always when
    the deadline is unknown); without it every waiting case does.
    """
    if now.utcoffset() is None:
        raise ValueError("a naive 'now' cannot be compared with the platform's deadline; pass an aware datetime")
    if not case.waiting_on_merchant:
        return False, None
    left = None if case.expire_time is None else case.expire_time - now
    if warn_before is None or left is None:
        return True, left
    return left <= warn_before, left
