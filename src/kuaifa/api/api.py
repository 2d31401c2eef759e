"""The JSON API over the same services and the same permission table as the workbench.

Every call carries a person's API key (``Authorization: Bearer kf_…``) and acts with that person's role and shop
scope. Refusals come back as ``{"code": stable code, "message": one Chinese sentence}``. OpenAPI at /api/docs.
"""

import functools
from typing import Annotated

from django.utils import translation
from django.utils.translation import gettext
from ninja import NinjaAPI, Path, Schema
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer
from pydantic import Field

from kuaifa.domain.access import Perm, Role, allows
from kuaifa.domain.shared.errors import DomainError
from kuaifa.persistence import queries_web
from kuaifa.persistence.models import ApiToken
from kuaifa.services.errors import NotFound
from kuaifa.services.explain import explain_order
from kuaifa.services.people import token_hash
from kuaifa.services.workbench import apply_to_orders
from kuaifa.web.access import Member
from kuaifa.web.feedback import sentence
from kuaifa.web.words import now


class Forbidden(DomainError):
    code = "auth.forbidden"
    template = "Your role cannot open this page or do this. Ask the shop owner if you need it."


class Bearer(HttpBearer):
    def authenticate(self, request, token: str) -> Member | None:
        rows = list(
            ApiToken.objects.filter(
                key_sha256=token_hash(token), revoked_at__isnull=True, user__is_active=True
            ).values_list("user__username", "user__membership__role", "user__membership__shops__id")
        )
        if not rows or rows[0][1] is None:
            return None
        return Member(username=rows[0][0], role=Role(rows[0][1]), warehouse_scope=frozenset(),
                      shop_scope=frozenset(r[2] for r in rows if r[2] is not None))  # fmt: skip


api = NinjaAPI(title="Kuaifa API", version="1", auth=Bearer(), urls_namespace="api")

STATUS = {NotFound: 404, Forbidden: 403}


@api.exception_handler(DomainError)
def refused(request, err: DomainError):
    with translation.override("zh-hans"):
        message = sentence(err)
    return api.create_response(request, {"code": err.code, "message": message}, status=STATUS.get(type(err), 409))


@api.exception_handler(ValidationError)
def invalid(request, err: ValidationError):
    """A parameter or body the schema refuses: 422 naming the first field, in Chinese, with a stable code."""
    first = err.errors[0] if err.errors else {}
    loc = list(first.get("loc", ()))
    where = loc[2:] if loc[:1] == ["body"] else loc[1:]  # ("body", "<parameter>", "ids", 0) names the JSON "ids.0"
    field = ".".join(str(part) for part in where) or "request"
    with translation.override("zh-hans"):
        message = gettext("%(field)s: not a valid value (%(detail)s)") % {"field": field,
                                                                          "detail": first.get("msg", "")}  # fmt: skip
    return api.create_response(request, {"code": "invalid_input", "message": message}, status=422)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, err: AuthenticationError):
    with translation.override("zh-hans"):
        message = gettext("Send a valid API key: Authorization: Bearer kf_…")
    return api.create_response(request, {"code": "auth.unauthenticated", "message": message}, status=401)


#: ids as the databases store them (64-bit); a larger number is refused as input, never sent to the database
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def requires(permission: Perm):
    """The permission an endpoint needs, declared on it (the permission-matrix test reads it) and checked."""

    def wrap(endpoint):
        @functools.wraps(endpoint)
        def guarded(request, *args, **kwargs):
            if not allows(request.auth.role, permission):
                raise Forbidden(permission=permission.value)
            return endpoint(request, *args, **kwargs)

        guarded.required_permission = permission
        return guarded

    return wrap


class Error(Schema):
    code: str
    message: str


class OrderRow(Schema):
    id: int
    order_sn: str
    shop: str
    status: str
    hold_reasons: list[str]
    ship_by: str | None
    pay_amount_fen: int
    items: list[str]


class OrderPage(Schema):
    orders: list[OrderRow]
    next: str | None


class Verdict(Schema):
    rule: str
    passed: bool | None
    detail: str


class OrderDetail(Schema):
    order: OrderRow
    verdicts: list[Verdict]


class Choice(Schema):
    ids: list[Id] = Field(max_length=1000)
    note: str = ""


class Outcome(Schema):
    done: list[int]
    refused: list[Error]


class StockRow(Schema):
    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    available: int


def _row(row: queries_web.OrderRow) -> OrderRow:
    return OrderRow(id=row.id, order_sn=row.order_sn, shop=row.shop__name, status=row.status,
                    hold_reasons=row.hold_reasons, ship_by=row.ship_by.isoformat() if row.ship_by else None,
                    pay_amount_fen=row.pay_amount, items=row.items)  # fmt: skip


@api.get("/orders", response={200: OrderPage, 401: Error, 403: Error, 422: Error}, tags=["orders"])
@requires(Perm.ORDERS_VIEW)
def list_orders(request, status: str = "", reason: str = "", q: str = "", after: str = "", limit: int = 50):
    """Orders, most urgent first; pass ``next`` back as ``after`` for the following page."""
    member: Member = request.auth
    page = queries_web.order_page(
        queries_web.OrderFilter(status=status, reason=reason, search=q, scope=member.shop_scope),
        now=now(), after=after, limit=max(1, min(limit, 200)),
    )  # fmt: skip
    return OrderPage(orders=[_row(r) for r in page.rows], next=page.next_cursor)


@api.get(
    "/orders/{int:order_id}",
    response={200: OrderDetail, 403: Error, 404: Error, 401: Error, 422: Error},
    tags=["orders"],
)
@requires(Perm.ORDERS_VIEW)
def order_detail(request, order_id: Annotated[int, Path(ge=1, le=MAX_ID)]):
    """One order and why it is where it is: every review rule's verdict."""
    member: Member = request.auth
    found = queries_web.order_for_detail(order_id, member.shop_scope)
    if found is None:
        raise NotFound(kind="order", key=order_id)
    order = found.order
    why = explain_order(order, now=now(), events=found.events)
    row = OrderRow(id=order.id, order_sn=order.order_sn, shop=order.shop.name, status=order.status,
                   hold_reasons=order.hold_reasons, ship_by=order.ship_by.isoformat() if order.ship_by else None,
                   pay_amount_fen=order.pay_amount, items=[])  # fmt: skip
    return OrderDetail(order=row, verdicts=[Verdict(rule=v.code.value, passed=v.passed, detail=v.detail)
                                                  for v in why.verdicts])  # fmt: skip


def _act(request, action: str, choice: Choice) -> Outcome:
    member: Member = request.auth
    ids = queries_web.order_ids_in_scope(choice.ids, member.shop_scope)
    outcome = apply_to_orders(action, ids, note=choice.note, actor=member.actor, now=now())
    with translation.override("zh-hans"):
        refusals = [Error(code=err.code, message=sentence(err)) for _, err in outcome.refused]
    return Outcome(done=outcome.done, refused=refusals)


@api.post("/orders/review", response={200: Outcome, 403: Error, 409: Error, 401: Error, 422: Error}, tags=["orders"])
@requires(Perm.ORDERS_REVIEW)
def review(request, choice: Choice):
    """Review and reserve stock for the chosen new (or stock/mapping-held) orders, earliest deadline first."""
    return _act(request, "review", choice)


@api.post("/orders/hold", response={200: Outcome, 403: Error, 409: Error, 401: Error, 422: Error}, tags=["orders"])
@requires(Perm.ORDERS_HOLD)
def hold(request, choice: Choice):
    """Hold (拦截) the chosen orders; their reservations go back to the pool."""
    return _act(request, "hold", choice)


@api.post("/orders/release", response={200: Outcome, 403: Error, 409: Error, 401: Error, 422: Error}, tags=["orders"])
@requires(Perm.ORDERS_HOLD)
def release(request, choice: Choice):
    """Release held orders back to review; judgement rules that held them are waived."""
    return _act(request, "release", choice)


@api.get("/stock", response={200: list[StockRow], 403: Error, 401: Error, 422: Error}, tags=["stock"])
@requires(Perm.STOCK_VIEW)
def stock(request, q: str = ""):
    """Stock per SKU and warehouse: on hand, reserved, available."""
    return [StockRow(sku=r.sku__code, warehouse=r.warehouse__code, on_hand=r.on_hand, reserved=r.reserved,
                     available=r.available) for r in queries_web.stock_by_warehouse(q)]  # fmt: skip


# --- waves, shipments, cancel -------------------------------------------------------------------------------------


class WaveRequest(Schema):
    """Wave the accepted orders due within ``horizon_hours`` (all when omitted), at most ``max_orders`` a wave."""

    horizon_hours: int = Field(default=24 * 30, ge=0, le=24 * 365)
    max_orders: int = Field(default=100, ge=1, le=2000)
    ids: list[Id] | None = Field(default=None, max_length=1000)


class WaveRow(Schema):
    code: str
    state: str
    orders: int
    created_at: str


class ShipRequest(Schema):
    logistics_id: int = Field(ge=1, le=2**31 - 1)
    tracking_number: str = Field(min_length=1, max_length=64)
    confirm_weak_tracking: bool = Field(
        default=False, description="Ship a number the carrier's rules only weakly match (refused until confirmed)."
    )


class ShipmentRow(Schema):
    order_sn: str
    logistics_id: int
    tracking_number: str
    upload_state: str
    tracking_warning: str


@api.post("/waves", response={200: list[WaveRow], 401: Error, 403: Error, 409: Error, 422: Error}, tags=["waves"])
@requires(Perm.WAVES_CREATE)
def create_wave(request, body: WaveRequest):
    """Group accepted orders into pick waves, most urgent first; returns the new waves."""
    from datetime import timedelta

    from kuaifa.domain.fulfilment.waves import WaveRule
    from kuaifa.services.waves import create_waves

    member: Member = request.auth
    rule = WaveRule(horizon=timedelta(hours=body.horizon_hours), max_orders=body.max_orders,
                    shop_ids=member.shop_scope or None)  # fmt: skip
    only = queries_web.order_ids_in_scope(body.ids, member.shop_scope) if body.ids is not None else None
    made = create_waves(rule, actor=member.actor, now=now(), only=only)
    return [WaveRow(code=w.code, state=w.state, orders=w.members.count(), created_at=w.created_at.isoformat())
            for w in made]  # fmt: skip


@api.get("/waves", response={200: list[WaveRow], 401: Error, 403: Error, 422: Error}, tags=["waves"])
@requires(Perm.ORDERS_VIEW)
def list_waves(request, state: str = "", limit: int = 50):
    """Waves, newest first, with how many orders each holds."""
    from kuaifa.persistence.queries import waves

    rows = waves(states=[state] if state else None, limit=max(1, min(limit, 200)))
    return [WaveRow(code=r.code, state=r.state, orders=r.orders, created_at=r.created_at.isoformat())
            for r in rows]  # fmt: skip


@api.post(
    "/orders/{int:order_id}/ship",
    response={200: ShipmentRow, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    tags=["shipments"],
)
@requires(Perm.ORDERS_SHIP)
def ship(request, order_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: ShipRequest):
    """Ship one order with a carrier (PDD logistics id) and tracking number; the upload to the platform is queued."""
    from kuaifa.services.shipping import ship_order

    member: Member = request.auth
    order = queries_web.order_in_scope(order_id, member.shop_scope)
    if order is None:
        raise NotFound(kind="order", key=order_id)
    shipped = ship_order(order.id, carrier=body.logistics_id, tracking_number=body.tracking_number,
                         confirm_weak_tracking=body.confirm_weak_tracking, actor=member.actor, now=now())  # fmt: skip
    parcel = shipped.shipment
    return ShipmentRow(order_sn=order.order_sn, logistics_id=parcel.logistics_id,
                       tracking_number=parcel.tracking_number, upload_state=parcel.upload_state,
                       tracking_warning=shipped.tracking_warning.render(gettext) if shipped.tracking_warning else "",
                       )  # fmt: skip


@api.post("/orders/cancel", response={200: Outcome, 401: Error, 403: Error, 409: Error, 422: Error}, tags=["orders"])
@requires(Perm.ORDERS_CANCEL)
def cancel(request, choice: Choice):
    """Cancel the chosen orders before they ship; their reservations go back to the pool."""
    return _act(request, "cancel", choice)


from kuaifa.api import alerts as _alerts  # noqa: E402,F401 (registers the 预警 and auto-reply operations)
