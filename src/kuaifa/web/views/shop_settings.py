"""A shop's settings page: ship-by promise, sender, review rules with their parameters, and a dry run before saving.

The page parses the form into the service's terms (rules as stored, amounts in fen) and calls one service: the dry
run (no writes) or the save.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kuaifa.domain.access import Perm
from kuaifa.domain.orders.review import MANDATORY, RULE_ORDER, HoldReason, parse_rules
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.domain.shared.money import fen_to_yuan, yuan_to_fen
from kuaifa.persistence.models import Shop
from kuaifa.services.errors import InvalidInput
from kuaifa.services.senders import LIMITS
from kuaifa.services.shop_settings import dry_run_rules, save_shop_settings
from kuaifa.web.access import member, requires
from kuaifa.web.feedback import refused
from kuaifa.web.words import now

#: rules a person may switch; the mandatory ones (platform holds, mapping, stock) always apply
SWITCHABLE = [code for code in RULE_ORDER if code not in MANDATORY]
MEMO_SEPARATORS = str.maketrans({"，": ",", "、": ",", "\n": ","})


def _whole(value: str, field: str) -> int:
    if not value.strip().isdigit():
        raise InvalidInput(field=field, reason=Text("%(value)r is not a whole number", value=value))
    return int(value)


def _fen(value: str, field: str) -> int:
    try:
        return yuan_to_fen(value)
    except (DomainError, ValueError):
        raise InvalidInput(field=field, reason=Text("%(value)r is not an amount in yuan", value=value)) from None


def _rules(post) -> list[dict]:
    """The switchable rules as stored on the shop: on/off and their parameters."""
    rules = []
    for code in SWITCHABLE:
        rule: dict = {"code": code.value, "enabled": post.get(f"enabled_{code.value}") == "on"}
        if code is HoldReason.AMOUNT_ANOMALY:
            rule["params"] = {"min_pay_fen": _fen(post.get("min_pay", ""), "min_pay"),
                              "max_pay_fen": _fen(post.get("max_pay", ""), "max_pay")}  # fmt: skip
        if code is HoldReason.BUYER_MEMO:
            words = [w.strip() for w in post.get("memo_keywords", "").translate(MEMO_SEPARATORS).split(",")]
            rule["params"] = {"keywords": [w for w in words if w]}
        rules.append(rule)
    return rules


def _form_of(shop: Shop) -> dict:
    """The stored settings in the form's terms."""
    rules = {rule.code: rule for rule in parse_rules(shop.review_rules)}
    amount, memo = rules[HoldReason.AMOUNT_ANOMALY], rules[HoldReason.BUYER_MEMO]
    form = {"ship_by_hours": shop.ship_by_hours, "days": 7,
            "min_pay": fen_to_yuan(amount.param("min_pay_fen")), "max_pay": fen_to_yuan(amount.param("max_pay_fen")),
            "memo_keywords": ", ".join(memo.param("keywords") or [])}  # fmt: skip
    form.update({f"enabled_{code.value}": "on" for code in SWITCHABLE if rules[code].enabled})
    form.update({f"sender_{key}": getattr(shop, f"sender_{key}") for key in LIMITS})
    return form


@requires(Perm.SHOPS_MANAGE)
def shop_settings(request, shop_id: int):
    me = member(request)
    shop = Shop.objects.filter(id=shop_id).first()
    if shop is None or (me.shop_scope and shop.id not in me.shop_scope):
        raise Http404
    form, dry_run, status = _form_of(shop), None, 200
    if request.method == "POST":
        post = request.POST
        form = post
        try:
            rules = _rules(post)
            if post.get("action") == "save":
                save_shop_settings(shop.id, ship_by_hours=_whole(post.get("ship_by_hours", ""), "ship_by_hours"),
                                   rules=rules, sender={key: post.get(f"sender_{key}", "") for key in LIMITS},
                                   actor=me.actor, now=now())  # fmt: skip
                messages.success(request, _("Settings of %(shop)s saved.") % {"shop": shop.name})
                return redirect("shop_settings", shop_id=shop.id)
            dry_run = dry_run_rules(shop.id, rules, days=_whole(post.get("days", ""), "days"), now=now())
        except DomainError as err:
            refused(request, err)
            status = 400
    rule_rows = [(code.value, form.get(f"enabled_{code.value}") == "on") for code in SWITCHABLE]
    context = {"shop": shop, "form": form, "dry_run": dry_run, "rule_rows": rule_rows,
               "mandatory": [code for code in RULE_ORDER if code in MANDATORY], "sender_fields": LIMITS}  # fmt: skip
    return render(request, "web/settings/shop.html", context, status=status)
