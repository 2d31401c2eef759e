"""Team chat robots: the message each one accepts, its signature, and how it says "accepted".

- 企业微信 group robot: POST JSON to ``…/cgi-bin/webhook/send?key=…`` (the key is the secret; no signature);
  ``{"msgtype": "text", "text": {"content": …}}`` or ``{"msgtype": "markdown", "markdown": {"content": …}}``;
  success is ``errcode == 0``.
- 钉钉 custom robot with 加签: ``sign = base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))``,
  timestamp in milliseconds; both go in the query string (``&timestamp=…&sign=…``, the sign URL-encoded);
  ``{"msgtype": "text", "text": {"content": …}}`` or ``{"msgtype": "markdown", "markdown": {"title", "text"}}``;
  success is ``errcode == 0``.
- 飞书 custom bot with 签名校验: ``sign = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b""))``, timestamp
  in seconds; both go in the JSON body beside ``msg_type`` (``text``, or ``interactive`` with a markdown card);
  success is ``code == 0`` (older bots answer ``StatusCode == 0``).

The timestamp is handed in (the domain reads no clock); the robots refuse one more than an hour off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from kuaifa.domain.shared.errors import DomainError, Text

KINDS = ("wecom", "dingtalk", "feishu")


class InvalidWebhook(DomainError):
    code = "alert.invalid_webhook"
    template = "Webhook: %(reason)s"


@dataclass(frozen=True, slots=True)
class Message:
    title: str
    text: str  # plain text lines; markdown adds the title as a heading


@dataclass(frozen=True, slots=True)
class Request:
    url: str
    body: dict[str, Any]


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def check(kind: str, url: str) -> None:
    if kind not in KINDS:
        raise InvalidWebhook(
            reason=Text("unknown kind %(kind)r (use one of %(names)s)", kind=kind, names=", ".join(KINDS))
        )
    if not url.startswith(("https://", "http://")):
        raise InvalidWebhook(reason=Text("the URL must start with https:// (got %(url)r)", url=url))


def build(kind: str, url: str, secret: str, message: Message, *, markdown: bool, unix_ms: int) -> Request:
    """The request one robot expects for ``message``, signed for the moment ``unix_ms``."""
    check(kind, url)
    if kind == "wecom":
        if markdown:
            return Request(
                url, {"msgtype": "markdown", "markdown": {"content": f"**{message.title}**\n{message.text}"}}
            )
        return Request(url, {"msgtype": "text", "text": {"content": f"{message.title}\n{message.text}"}})
    if kind == "dingtalk":
        signed = url
        if secret:
            joiner = "&" if "?" in url else "?"
            signed = f"{url}{joiner}timestamp={unix_ms}&sign={quote_plus(dingtalk_sign(secret, unix_ms))}"
        if markdown:
            content = {"title": message.title, "text": f"### {message.title}\n{message.text}"}
            return Request(signed, {"msgtype": "markdown", "markdown": content})
        return Request(signed, {"msgtype": "text", "text": {"content": f"{message.title}\n{message.text}"}})
    body: dict[str, Any]
    if markdown:
        body = {
            "msg_type": "interactive",
            "card": {
                "header": {"title": {"tag": "plain_text", "content": message.title}},
                "elements": [{"tag": "markdown", "content": message.text}],
            },
        }
    else:
        body = {"msg_type": "text", "content": {"text": f"{message.title}\n{message.text}"}}
    if secret:
        seconds = unix_ms // 1000
        body = {"timestamp": str(seconds), "sign": feishu_sign(secret, seconds), **body}
    return Request(url, body)


def accepted(kind: str, status: int, answer: dict[str, Any]) -> tuple[bool, str]:
    """Whether the robot took the message, and its complaint if not."""
    if status >= 300:
        return False, f"HTTP {status}"
    if kind == "feishu":
        code = answer.get("code", answer.get("StatusCode", 0))
        return code == 0, "" if code == 0 else f"{code}: {answer.get('msg', answer.get('StatusMessage', ''))}"
    code = answer.get("errcode", 0)
    return code == 0, "" if code == 0 else f"{code}: {answer.get('errmsg', '')}"
