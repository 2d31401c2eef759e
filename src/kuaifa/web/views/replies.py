"""智能客服: try a buyer's message against an order (the reply and the rule that matched), manage the merchant's
reply rules, and dry-run a file of past messages to see the answered share."""

import tempfile
from pathlib import Path

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kuaifa.domain.access import Perm
from kuaifa.domain.replies.answers import Intent
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence import queries_alerts, queries_web
from kuaifa.platforms.pdd_export.table import TableError, read_table
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.services.replies import add_rule, answer, dry_run
from kuaifa.web.access import member, requires
from kuaifa.web.feedback import refused
from kuaifa.web.words import now

MESSAGE_COLUMNS = ("message", "消息", "买家消息", "内容")
EXPECTED_COLUMNS = ("expected", "intent", "意图")


def _context(request, **extra) -> dict:
    me = member(request)
    return {"rules": queries_alerts.reply_rules(), "intents": [i.value for i in Intent],
            "shop_choices": queries_web.shops(me.shop_scope), **extra}  # fmt: skip


def _check_scope(order_sn: str, scope: frozenset[int]) -> None:
    """A member scoped to some shops asks only about their orders; another shop's order is not found."""
    if order_sn and scope and not queries_alerts.order_sn_in_scope(order_sn, scope):
        raise NotFound(kind="order", key=order_sn)


@requires(Perm.REPLIES_USE)
def replies(request):
    """Try a message: the reply the buyer would get and the rule that gave it, or "no rule"."""
    context = _context(request, message="", order_sn="", tried=False)
    status = 200
    if request.method == "POST":
        context["message"] = request.POST.get("message", "")
        context["order_sn"] = request.POST.get("order_sn", "").strip()
        try:
            _check_scope(context["order_sn"], member(request).shop_scope)
            context["reply"] = answer(context["message"], order_sn=context["order_sn"] or None,
                                      shop_name=request.POST.get("shop") or None)  # fmt: skip
            context["tried"] = True
        except DomainError as err:
            refused(request, err)
            status = 400
    return render(request, "web/alerts/replies.html", context, status=status)


@requires(Perm.REPLIES_MANAGE)
@require_POST
def add_reply_rule(request):
    """A merchant's rule: keyword groups, one a line ("退款 到账" = both words), or a pattern → a template."""
    post = request.POST
    try:
        priority = post.get("priority", "").strip() or "100"
        if not priority.lstrip("-").isdigit():
            raise InvalidInput(field="priority", reason=Text("%(priority)r is not a whole number", priority=priority))
        rule = add_rule(post.get("name", "").strip(), post.get("intent", ""), post.get("template", ""),
                        keywords=post.get("keywords", "").splitlines(), pattern=post.get("pattern", "").strip(),
                        shop_name=post.get("shop") or None, priority=int(priority), now=now())  # fmt: skip
    except DomainError as err:
        refused(request, err)
    else:
        messages.success(request, _("Reply rule %(name)s added.") % {"name": rule.name})
    return redirect("replies")


def _messages(path: Path, name: str) -> list[tuple[int, str, str | None]]:
    """Past buyer messages: .txt one a line, or a .csv/.xlsx sheet with a message column (and optionally the
    expected intent). An empty message row is refused naming its row."""
    if path.suffix == ".txt":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as err:
            raise InvalidInput(field=name, reason=str(err)) from None
        return [(n, line.strip(), None) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    try:
        table = read_table(path)
    except TableError as err:
        raise InvalidInput(field=name, reason=str(err)) from None
    column = next((c for c in MESSAGE_COLUMNS if c in table.header), None)
    if column is None:
        raise InvalidInput(
            field=name, reason=Text("no message column (one of %(value)s)", value=", ".join(MESSAGE_COLUMNS))
        )
    expected = next((c for c in EXPECTED_COLUMNS if c in table.header), None)
    rows = []
    for number, row in table.rows:
        if not row.get(column, "").strip():
            raise InvalidInput(field=f"{name} row {number}", reason=Text("the message is empty"))
        rows.append((number, row[column], ((row.get(expected) or "").strip() or None) if expected else None))
    return rows


@requires(Perm.REPLIES_USE)
@require_POST
def dry_run_upload(request):
    """Which rule would have answered each past message, which went unanswered, and the answered share."""
    upload, path = request.FILES.get("file"), None
    context = _context(request, message="", order_sn="", tried=False)
    status = 200
    try:
        if upload is None:
            raise InvalidInput(field="file", reason=Text("choose a file"))
        suffix = Path(upload.name).suffix.lower()
        if suffix not in (".txt", ".csv", ".xlsx"):
            raise InvalidInput(field=upload.name, reason=Text("only .txt, .csv and .xlsx files can be checked"))
        with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        path = Path(handle.name)
        context["dry_run"] = dry_run(_messages(path, upload.name), shop_name=request.POST.get("shop") or None)
        context["file_name"] = upload.name
    except DomainError as err:
        refused(request, err)
        status = 400
    finally:
        if path is not None:
            path.unlink(missing_ok=True)
    return render(request, "web/alerts/replies.html", context, status=status)
