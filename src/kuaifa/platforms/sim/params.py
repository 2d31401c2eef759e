"""Reading a simulated API's business parameters, and the error an API raises to refuse a call.

Parameter errors follow pdd-reference §1.4: a missing or unreadable parameter is 10000 参数错误; a readable value
the API does not accept (a window over its limit, a page size over 100, an end in the future) is 21002; a request
the shop's state refuses (unknown carrier, wrong redelivery type, already shipped) is 21001. Which of the
business codes PDD uses for each case is not published; these are the simulator's choices.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

PARAM_ERROR = 10000
PUBLIC_PARAM_ERROR = 10001
BUSINESS_ERROR = 21001
BUSINESS_PARAM_ERROR = 21002


class SimApiError(Exception):
    """Refuse the call with ``error_response`` ``code``."""

    def __init__(self, code: int, msg: str, *, sub_code: str | None = None, sub_msg: str = "") -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.sub_code = sub_code
        self.sub_msg = sub_msg


def refuse(msg: str, *, sub_code: str | None = None, sub_msg: str = "") -> SimApiError:
    """A business refusal (21001)."""
    return SimApiError(BUSINESS_ERROR, msg, sub_code=sub_code, sub_msg=sub_msg)


def out_of_range(name: str, reason: str) -> SimApiError:
    """A readable parameter value the API does not accept (21002)."""
    return SimApiError(BUSINESS_PARAM_ERROR, f"业务参数错误:{name}", sub_msg=reason)


class Params:
    """The request's parameters as strings, with typed readers that refuse like the gateway."""

    def __init__(self, raw: Mapping[str, str]) -> None:
        self.raw = raw

    def has(self, name: str) -> bool:
        return self.raw.get(name, "") != ""

    def text(self, name: str, default: str | None = None) -> str:
        value = self.raw.get(name, "")
        if value == "":
            if default is None:
                raise SimApiError(PARAM_ERROR, f"参数错误:{name}", sub_msg=f"{name}不能为空")
            return default
        return value

    def integer(self, name: str, default: int | None = None) -> int:
        value = self.raw.get(name, "")
        if value == "":
            if default is None:
                raise SimApiError(PARAM_ERROR, f"参数错误:{name}", sub_msg=f"{name}不能为空")
            return default
        try:
            return int(value)
        except ValueError:
            raise SimApiError(PARAM_ERROR, f"参数错误:{name}", sub_msg=f"{name}应为整数: {value}") from None

    def boolean(self, name: str, default: bool) -> bool:
        value = self.raw.get(name, "")
        if value == "":
            return default
        if value.lower() in ("true", "1"):
            return True
        if value.lower() in ("false", "0"):
            return False
        raise SimApiError(PARAM_ERROR, f"参数错误:{name}", sub_msg=f"{name}应为true或false: {value}")

    def json_object(self, name: str) -> Params:
        """An object parameter sent as a JSON string (e.g. ``request``, pdd-reference §1.3), read like the request."""
        value = self._json(name)
        if not isinstance(value, dict):
            raise SimApiError(PARAM_ERROR, f"参数错误:{name}", sub_msg=f"{name}应为JSON对象")
        return Params({key: _as_text(item) for key, item in value.items()})

    def json_objects(self, name: str) -> list[Params]:
        """A list-of-objects parameter sent as a JSON string (e.g. ``extra_track_list``); each item read alike."""
        value = self._json(name)
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise SimApiError(PARAM_ERROR, f"参数错误:{name}", sub_msg=f"{name}应为JSON对象数组")
        return [Params({key: _as_text(item) for key, item in entry.items()}) for entry in value]

    def _json(self, name: str) -> object:
        text = self.text(name)
        try:
            return json.loads(text)
        except ValueError:
            raise SimApiError(PARAM_ERROR, f"参数错误:{name}", sub_msg=f"{name}应为JSON: {text[:80]}") from None

    def order_sns(self, name: str = "order_sns", *, limit: int = 100) -> list[str]:
        """A comma-separated list of order numbers (the limit per call is not published; 100 is a guess)."""
        items = [item.strip() for item in self.text(name).split(",") if item.strip()]
        if len(items) > limit:
            raise out_of_range(name, f"最多{limit}个订单号")
        return items

    def page(self, *, max_size: int = 100) -> tuple[int, int]:
        """``page`` (from 1, default 1) and ``page_size`` (1..100, default 100)."""
        page = self.integer("page", 1)
        size = self.integer("page_size", max_size)
        if page < 1:
            raise out_of_range("page", "page从1开始")
        if not 1 <= size <= max_size:
            raise out_of_range("page_size", f"page_size取值1-{max_size}")
        return page, size

    def window(self, start_name: str, end_name: str, *, max_seconds: int, now: float) -> tuple[int, int]:
        """An epoch-second window ``[start, end]``: start ≤ end ≤ now and at most ``max_seconds`` long."""
        start, end = self.integer(start_name), self.integer(end_name)
        if end < start:
            raise out_of_range(end_name, f"{end_name}不能早于{start_name}")
        if end - start > max_seconds:
            raise out_of_range(end_name, f"时间间隔不能超过{max_seconds // 60}分钟")
        if end > now:
            raise out_of_range(end_name, f"{end_name}不能晚于当前时间")
        return start, end


def _as_text(value: object) -> str:
    """A value inside a JSON parameter as the text the typed readers take (null → empty, i.e. not given)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)
