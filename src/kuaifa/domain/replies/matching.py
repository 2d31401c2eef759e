"""Matching a buyer's message to a reply rule.

Business rules:

- A message is normalised before matching: full-width characters folded (NFKC), lower case, emoji and
  punctuation dropped, and spoken or misspelt forms mapped to one word (咋/肿么 → 怎么, 啥/神马 → 什么,
  木有 → 没有, 嘛时候 → 什么时候 …), so "啥时候发😭" and "什么时候发货" meet the same rule.
- The normalised text is segmented into words by a Chinese segmenter handed in by the caller (jieba); a keyword
  matches a whole word, or a run of consecutive words that spell it — so "退" does not fire inside "退出", and a
  keyword the segmenter splits ("发货" as 发 + 货) still matches. A single Latin word matches a whole word only.
- A rule has keyword groups (every keyword of one group must be present; any group will do), an optional regular
  expression over the normalised text, and words that veto it. The rule with the highest priority that matches
  wins; among equals, the one that matched more keyword characters (the more specific), then the first listed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from kuaifa.domain.shared.errors import DomainError, Text

Segmenter = Callable[[str], Iterable[str]]

#: spoken, dialect and misspelt forms → the word the rules use (longest first when applied)
VARIANTS: dict[str, str] = {
    "肿么": "怎么", "咋": "怎么", "怎莫": "怎么", "怎麽": "怎么", "神马": "什么", "啥": "什么", "嘛时候": "什么时候",
    "甚么": "什么", "木有": "没有", "米有": "没有", "没得": "没有", "莫有": "没有", "发火": "发货",
    "法货": "发货", "发或": "发货", "快地": "快递", "快第": "快递", "物留": "物流", "无流": "物流", "wl": "物流",
    "kd": "快递", "tk": "退款", "退宽": "退款", "推货": "退货", "退或": "退货", "地趾": "地址", "地扯": "地址",
    "地止": "地址", "收货地址": "地址", "到货": "到", "几号": "什么时候", "多久": "什么时候", "多长时间": "什么时候",
    "何时": "什么时候", "哪天": "什么时候", "当天": "今天", "今儿": "今天", "亲": "", "在吗": "", "您好": "",
    "你好": "", "请问": "", "麻烦": "", "哈": "", "呀": "", "啊": "", "呢": "", "嘛": "", "哦": "", "滴": "的",
    "包裹": "快递", "运单号": "单号", "物流单号": "单号", "快递单号": "单号", "退钱": "退款", "钱退": "退款",
    "退回钱": "退款",
}  # fmt: skip
#: words a general-purpose segmenter keeps whole although they hide a keyword (没收到 is 没 + 收到, not 没收 + 到;
#: 发了 is 发 + 了): the caller's segmenter must split them (jieba: ``del_word``)
HIDING_WORDS: tuple[str, ...] = (
    "没收", "发了", "能发", "没发", "先发", "不发", "没到", "没退", "退掉", "改成", "改个", "我换", "能寄到", "要变",
    "下错", "好了没", "查下", "货运费", "险有", "没动", "发没", "退了",
)  # fmt: skip
_VARIANT_RE = re.compile("|".join(re.escape(k) for k in sorted(VARIANTS, key=len, reverse=True)))
_DROP_RE = re.compile(r"[^\w\u4e00-\u9fff]+")


class InvalidReplyRule(DomainError):
    code = "reply.invalid_rule"
    template = "Reply rule %(name)s: %(reason)s"


def normalise(message: str) -> str:
    """Fold width and case, drop emoji and punctuation (to spaces), map variant spellings."""
    text = unicodedata.normalize("NFKC", message).lower()
    text = _DROP_RE.sub(" ", text)
    return _VARIANT_RE.sub(lambda m: VARIANTS[m.group(0)], text).strip()


def words(message: str, segment: Segmenter) -> tuple[str, ...]:
    """The normalised message cut into words (spaces dropped)."""
    return tuple(w for w in segment(normalise(message)) if w.strip())


@dataclass(frozen=True, slots=True)
class Rule:
    """One reply rule: when it fires (keyword groups, a pattern, vetoes) and which intent/template it answers."""

    name: str
    intent: str
    keyword_groups: tuple[tuple[str, ...], ...] = ()
    pattern: str = ""
    vetoes: tuple[str, ...] = ()
    priority: int = 0
    template: str = ""

    def __post_init__(self) -> None:
        if not self.keyword_groups and not self.pattern:
            raise InvalidReplyRule(name=self.name, reason=Text("it needs keywords or a pattern"))
        if any(not group or any(not k.strip() for k in group) for group in self.keyword_groups):
            raise InvalidReplyRule(name=self.name, reason=Text("a keyword group is empty"))
        if self.pattern:
            try:
                re.compile(self.pattern)
            except re.error as error:
                raise InvalidReplyRule(
                    name=self.name, reason=Text("the pattern is not a regular expression: %(error)s", error=error)
                ) from None


def contains(tokens: Sequence[str], keyword: str) -> bool:
    """``keyword`` is one word of ``tokens``, or the concatenation of consecutive words."""
    keyword = normalise(keyword).replace(" ", "")
    if not keyword:
        return False
    for start, token in enumerate(tokens):
        if not keyword.startswith(token):
            continue
        joined = token
        index = start
        while len(joined) < len(keyword) and index + 1 < len(tokens):
            index += 1
            joined += tokens[index]
        if joined == keyword:
            return True
    return False


def _score(rule: Rule, tokens: Sequence[str], text: str) -> int | None:
    """How specifically ``rule`` matches (characters of keywords matched), or None if it does not."""
    if any(contains(tokens, veto) for veto in rule.vetoes):
        return None
    best: int | None = None
    for group in rule.keyword_groups:
        if all(contains(tokens, k) for k in group):
            best = max(best or 0, sum(len(k) for k in group))
    if rule.pattern and re.search(rule.pattern, text):
        best = max(best or 0, len(rule.pattern) // 2)
    return best


@dataclass(frozen=True, slots=True)
class Match:
    rule: Rule
    score: int


def match(message: str, rules: Sequence[Rule], segment: Segmenter) -> Match | None:
    """The rule that answers ``message``, or None (no rule)."""
    text = normalise(message)
    tokens = tuple(w for w in segment(text) if w.strip())
    found: Match | None = None
    for rule in rules:
        score = _score(rule, tokens, text)
        if score is None:
            continue
        if found is None or (rule.priority, score) > (found.rule.priority, found.score):
            found = Match(rule, score)
    return found
