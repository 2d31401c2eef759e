"""Subcommands of the auto-reply (智能客服): answer one message about an order, dry-run a file of past messages,
and add the merchant's own rules."""

from pathlib import Path

import click
from django.utils.translation import gettext as _

from kuaifa.cli.context import command, emit, json_option, now
from kuaifa.domain.shared.errors import Text
from kuaifa.platforms.pdd_export.table import TableError, read_table
from kuaifa.services.errors import InvalidInput
from kuaifa.services.replies import add_rule, answer, dry_run

MESSAGE_COLUMNS = ("message", "消息", "买家消息", "内容")
EXPECTED_COLUMNS = ("expected", "intent", "意图")


def load_messages(file: Path) -> list[tuple[int, str, str | None]]:
    """Past buyer messages: a .txt file (one message a line) or a .csv/.xlsx sheet with a ``message`` column and,
    optionally, the ``expected`` intent of each (``none`` = no rule should answer)."""
    if file.suffix.lower() == ".txt":
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            raise InvalidInput(field=file.name, reason=str(err)) from None
        return [(n, line.strip(), None) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    try:
        table = read_table(file)
    except TableError as err:
        raise InvalidInput(field=file.name, reason=str(err)) from None
    message = next((c for c in MESSAGE_COLUMNS if c in table.header), None)
    if message is None:
        raise InvalidInput(
            field=file.name, reason=Text("no message column (one of %(names)s)", names=", ".join(MESSAGE_COLUMNS))
        )
    expected = next((c for c in EXPECTED_COLUMNS if c in table.header), None)
    rows = []
    for number, row in table.rows:
        if not row.get(message, "").strip():
            raise InvalidInput(field=f"{file.name} row {number}", reason=Text("the message is empty"))
        rows.append((number, row[message], (row.get(expected) or "").strip() or None if expected else None))
    return rows


@command("reply")
@click.argument("message", required=False)
@click.option("--order", "order_sn", default=None, help="The order the buyer asks about.")
@click.option("--shop", "shop_name", default=None)
@click.option(
    "--dry-run",
    "dry_run_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Classify a file of past messages instead (.txt one a line, or .csv/.xlsx with a message column).",
)
@click.option(
    "--show",
    type=click.Choice(["all", "unanswered", "wrong"]),
    default="unanswered",
    show_default=True,
    help="Dry run: which messages to list.",
)
@json_option
def reply(message, order_sn, shop_name, dry_run_file, show, as_json) -> None:
    """The auto-reply to a buyer's MESSAGE about an order, and the rule that matched (or "no rule")."""
    if dry_run_file is not None:
        report = dry_run(load_messages(dry_run_file), shop_name=shop_name)
        _show_dry_run(report, show, as_json)
        return
    if not message:
        raise InvalidInput(field="MESSAGE", reason=Text("give the buyer's message, or --dry-run FILE"))
    found = answer(message, order_sn=order_sn, shop_name=shop_name)
    data = {"message": message, "order_sn": order_sn, "rule": found.rule, "intent": found.intent, "reply": found.text}

    def human() -> None:
        if found.rule is None:
            click.echo(_("no rule"))
            return
        click.echo(found.text)
        click.echo(_("(rule %(rule)s, intent %(intent)s)") % {"rule": found.rule, "intent": found.intent})

    emit(as_json, data, human)


def _show_dry_run(report, show, as_json) -> None:
    listed = [
        r
        for r in report.rows
        if show == "all"
        or (show == "unanswered" and r.rule is None)
        or (show == "wrong" and r.expected is not None and (r.intent or "none") != r.expected)
    ]
    data = {
        "messages": len(report.rows),
        "answered": report.answered,
        "answered_share": round(report.share, 4),
        "in_scope": report.in_scope if report.labelled else None,
        "correct": report.correct if report.labelled else None,
        "precision": None if report.precision is None else round(report.precision, 4),
        "recall": None if report.recall is None else round(report.recall, 4),
        "rows": [
            {"line": r.line, "message": r.message, "rule": r.rule, "intent": r.intent, "expected": r.expected}
            for r in listed
        ],
    }

    def human() -> None:
        for r in listed:
            tail = f"  ({_('expected')} {r.expected})" if r.expected else ""
            click.echo(f"{r.line:>5}  {r.rule or _('no rule'):<26} {r.message}{tail}")
        click.echo(
            _("%(answered)s of %(messages)s message(s) answered (%(share).1f%%).")
            % {"answered": report.answered, "messages": len(report.rows), "share": report.share * 100}
        )
        if report.precision is not None:
            click.echo(
                _(
                    "Precision %(precision).1f%% (%(correct)s of %(answered)s answers had the expected intent); "
                    "%(correct)s of %(in_scope)s answerable messages answered correctly (%(recall).1f%%)."
                )
                % {
                    "precision": report.precision * 100,
                    "correct": report.correct,
                    "answered": report.answered,
                    "in_scope": report.in_scope,
                    "recall": (report.recall or 0) * 100,
                }
            )

    emit(as_json, data, human)


@click.group("reply-rule")
def reply_rule() -> None:
    """The merchant's own auto-reply rules (tried before the built-in ones, by priority)."""


@command("add", reply_rule)
@click.argument("name")
@click.option("--intent", required=True, help="What the rule answers, e.g. where_is_parcel or your own word.")
@click.option("--keywords", "keywords", multiple=True, help='A keyword group, e.g. "退款 到账" (all words); repeat.')
@click.option("--pattern", default="", help="A regular expression over the normalised message.")
@click.option("--template", required=True, help="The reply, with {tracking_number}, {carrier}, {ship_by} …")
@click.option("--shop", "shop_name", default=None, help="Only for this shop's orders.")
@click.option("--priority", type=int, default=100, show_default=True)
@json_option
def reply_rule_add(name, intent, keywords, pattern, template, shop_name, priority, as_json) -> None:
    """Add a reply rule."""
    row = add_rule(
        name, intent, template, keywords=keywords, pattern=pattern, shop_name=shop_name, priority=priority, now=now()
    )
    emit(
        as_json, {"id": row.id, "name": row.name}, lambda: click.echo(_("Reply rule %(name)s added.") % {"name": name})
    )
