"""What the auto-reply says: the built-in intents, their rules, and state-aware replies from the order's facts.

The replies are for PDD buyers and are written in Chinese on purpose (they are message content, like a merchant's
own templates, not the interface). Each default reply looks at the order's state: a parcel not shipped yet gets its
ship-by time (Beijing time), a shipped one its carrier, tracking number and latest trace; a return question before
shipment is told to cancel instead; an address change after shipment is told to ask the carrier. Without an order
the reply asks for the order number rather than guessing.

Templates use ``{field}`` placeholders from :data:`FIELDS`; an unknown field is refused when a rule is created.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from kuaifa.domain.replies.matching import InvalidReplyRule, Rule
from kuaifa.domain.shared.errors import Text

CHINA = ZoneInfo("Asia/Shanghai")


class Intent(StrEnum):
    WHERE_IS_PARCEL = "where_is_parcel"
    WHEN_SHIP = "when_ship"
    HOW_TO_RETURN = "how_to_return"
    REFUND_PROGRESS = "refund_progress"
    CHANGE_ADDRESS = "change_address"


#: platform refund_status → what the buyer is told
REFUND_STATUS = {1: "无售后", 2: "售后处理中", 3: "退款中", 4: "退款成功"}
SHIPPED_STATUSES = frozenset({"SHIPPED", "DELIVERED", "COMPLETED"})
PACKING_STATUSES = frozenset({"PICKING", "PACKED"})


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """The order as the reply needs it."""

    order_sn: str
    status: str
    ship_by: datetime | None = None
    carrier: str = ""
    tracking_number: str = ""
    shipped_at: datetime | None = None
    latest_trace: str = ""
    latest_trace_at: datetime | None = None
    refund_status: int = 1
    after_sales_state: str = ""

    @property
    def shipped(self) -> bool:
        return self.status in SHIPPED_STATUSES and bool(self.tracking_number)

    def fields(self) -> dict[str, str]:
        trace = self.latest_trace or "暂无物流轨迹，揽收后会更新"
        if self.latest_trace and self.latest_trace_at:
            trace = f"{_beijing(self.latest_trace_at)} {self.latest_trace}"
        return {
            "order_sn": self.order_sn,
            "carrier": self.carrier or "快递",
            "tracking_number": self.tracking_number or "（暂无）",
            "latest_trace": trace,
            "ship_by": _beijing(self.ship_by) if self.ship_by else "（暂无）",
            "shipped_at": _beijing(self.shipped_at) if self.shipped_at else "（暂无）",
            "refund_status": REFUND_STATUS.get(self.refund_status, "处理中"),
        }


FIELDS = frozenset(OrderFacts("", "").fields())


def _beijing(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%m月%d日 %H:%M")


def template_fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def check_template(name: str, template: str) -> None:
    """Refuse a template with a field the order cannot fill, or broken braces."""
    try:
        unknown = template_fields(template) - FIELDS
    except ValueError:
        raise InvalidReplyRule(name=name, reason=Text("the template's braces do not pair: write {field}")) from None
    if unknown:
        raise InvalidReplyRule(
            name=name,
            reason=Text(
                "unknown field(s) %(unknown)s; use %(known)s",
                unknown=", ".join(sorted(unknown)),
                known=", ".join(sorted(FIELDS)),
            ),
        )
    if not template.strip():
        raise InvalidReplyRule(name=name, reason=Text("the reply is empty"))


def render(template: str, facts: OrderFacts) -> str:
    return template.format_map(facts.fields())


ASK_ORDER = "亲，麻烦发一下订单号，我们马上帮您查询～"


def default_reply(intent: Intent, facts: OrderFacts | None) -> str:
    """The built-in reply for ``intent``, chosen by the order's state."""
    if facts is None:
        return ASK_ORDER
    f = facts.fields()
    if facts.status == "CANCELLED":
        return "亲，这个订单已经取消了，{refund_status}。如需再买可以重新下单哦～".format_map(f)
    if intent in (Intent.WHERE_IS_PARCEL, Intent.WHEN_SHIP):
        if facts.shipped:
            return ("亲，您的包裹已于{shipped_at}由{carrier}发出，运单号 {tracking_number}。最新物流：{latest_trace}。"
                    .format_map(f))  # fmt: skip
        if facts.status in PACKING_STATUSES:
            return "亲，您的订单正在打包，会在{ship_by}（北京时间）前发出，发出后可在订单页查看物流～".format_map(f)
        return "亲，您的订单还没有发货，我们会在{ship_by}（北京时间）前发出，请耐心等待～".format_map(f)
    if intent == Intent.REFUND_PROGRESS:
        if facts.refund_status == 4:
            return "亲，您的退款已经成功，原路退回，一般1-3个工作日到账～"
        if facts.refund_status in (2, 3):
            return "亲，您的售后正在处理（{refund_status}），我们会尽快处理，请留意订单页的进度～".format_map(f)
        return "亲，这个订单目前没有退款申请，如需退款可以在订单页申请售后哦～"
    if intent == Intent.HOW_TO_RETURN:
        if facts.refund_status in (2, 3, 4):
            return "亲，这个订单已经有售后申请（{refund_status}），按订单页的提示操作即可～".format_map(f)
        if facts.shipped:
            return ("亲，收到商品后在拼多多订单页点「申请售后」选择退货退款，寄回时请填写退货运单号，"
                    "我们收到后尽快处理～")  # fmt: skip
        return "亲，订单还没发货，直接在订单页申请退款即可，我们会拦截不发～"
    # change address
    if facts.shipped:
        return "亲，包裹已经由{carrier}发出（运单号 {tracking_number}），地址改不了了，可以联系快递改派哦～".format_map(
            f
        )
    if facts.status in PACKING_STATUSES:
        return "亲，订单正在打包，请马上把新的收货地址发给我们，我们尽力为您更改～"
    return "亲，订单还没发货，可以在订单页「修改地址」直接改，或把新地址发给我们，我们帮您改～"


def _kw(*groups: str) -> tuple[tuple[str, ...], ...]:
    """Keyword groups written as "物流" or "发 什么时候" (space-separated keywords all required)."""
    return tuple(tuple(group.split()) for group in groups)


#: the built-in rules; a merchant's own rules are tried first at their own priority
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("default.refund_progress", Intent.REFUND_PROGRESS, _kw(
        "退款 到账", "退款 进度", "退款 什么时候", "退款 没 到", "退款 好了", "退款 多久", "退款 没有 收到",
        "退款 没 收到", "退款 处理", "钱 什么时候 退", "钱 没 到", "退款 成功", "退款 审核", "退款 到 哪",
        "没 退", "refund",
    ), priority=20),
    Rule("default.change_address", Intent.CHANGE_ADDRESS, _kw(
        "改 地址", "修改 地址", "换 地址", "地址 错", "更改 地址", "地址 变", "地址 改", "地址 变更", "寄 到 别的",
        "别的 地方", "地址 不对", "地址 写错", "换个 地址", "新 地址", "change address",
    ), priority=20),
    Rule("default.how_to_return", Intent.HOW_TO_RETURN, _kw(
        "退货", "怎么 退", "退换", "换货", "不想要", "七天无理由", "7天无理由", "无理由", "寄回", "退回", "想 退",
        "怎么 退款", "申请 退款", "能 退", "可以 退", "要 退款", "我要 退款", "能 退款", "寄 回去", "退回去", "return",
    ), priority=10),
    Rule("default.where_is_parcel", Intent.WHERE_IS_PARCEL, _kw(
        "物流", "单号", "到 哪", "到哪儿", "到哪里", "没 到", "还 没 收到", "没 收到", "什么时候 到", "几天 到",
        "能 到", "查 快递", "快递 到", "快递 怎么", "快递 停", "中转", "快递 没有", "不 更新", "没 更新", "签收",
        "到 了 吗", "where", "tracking", "parcel",
    ), vetoes=("退款", "钱"), priority=5),
    Rule("default.when_ship", Intent.WHEN_SHIP, _kw(
        "发货", "发 什么时候", "什么时候 发", "发 了 吗", "发 了 没", "发 没", "还 没 发", "不 发", "快点 发",
        "赶紧 发", "发出", "寄出", "催", "今天 发", "明天 发", "能 发", "出库", "ship", "发 快递", "待 发货",
    ), vetoes=("顺丰", "退货", "退款", "退", "发票", "发错", "韵达", "圆通", "中通", "申通", "极兔"), priority=5),
)  # fmt: skip
