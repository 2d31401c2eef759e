"""Who made a change: a typed identity, stored in the audit columns as one short string.

Every change names its actor: a person signed in to the workbench (``user``), a person at the command line
(``cli``, named by the operating-system account), the task worker (``worker``), Kuaifa's own rules (``system``,
named by the rule) or the sales platform itself (``platform``). The audit columns keep the form they always had,
``kind`` or ``kind:name`` (``worker``, ``cli:li``), at most :data:`STORED_LENGTH` characters, so rows written before
this type existed read the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from kuaifa.domain.shared.errors import DomainError, Text

#: the width of the audit columns (``actor``, ``done_by``, ``acknowledged_by``…)
STORED_LENGTH = 64


class ActorKind(StrEnum):
    USER = "user"
    CLI = "cli"
    WORKER = "worker"
    SYSTEM = "system"
    PLATFORM = "platform"


class InvalidActor(DomainError):
    code = "actor.invalid"
    template = "%(value)r is not a valid actor: %(reason)s."


@dataclass(frozen=True)
class Actor:
    """``kind`` says what sort of identity acted, ``name`` which one (empty: the only one of its kind)."""

    kind: ActorKind
    name: str = ""

    def __post_init__(self) -> None:
        if self.name != self.name.strip() or any(c in self.name for c in "\r\n\t"):
            raise InvalidActor(value=self.name, reason=Text("a name has no surrounding spaces or control characters"))
        if self.kind in (ActorKind.USER, ActorKind.CLI) and not self.name:
            raise InvalidActor(value=self.name, reason=Text("a %(kind)s actor is a named person", kind=self.kind))
        if len(self.stored) > STORED_LENGTH:
            raise InvalidActor(
                value=self.name, reason=Text("longer than %(limit)s characters when stored", limit=STORED_LENGTH)
            )

    @classmethod
    def user(cls, name: str) -> Actor:
        return cls(ActorKind.USER, name)

    @classmethod
    def cli(cls, name: str) -> Actor:
        return cls(ActorKind.CLI, name)

    @classmethod
    def worker(cls, name: str = "") -> Actor:
        return cls(ActorKind.WORKER, name)

    @classmethod
    def system(cls, rule: str = "") -> Actor:
        return cls(ActorKind.SYSTEM, rule)

    @classmethod
    def platform(cls, name: str = "") -> Actor:
        return cls(ActorKind.PLATFORM, name)

    @cached_property  # read once per row written on the hot paths
    def stored(self) -> str:
        """The audit-column form: ``kind`` alone, or ``kind:name``."""
        return f"{self.kind}:{self.name}" if self.name else str(self.kind)

    def __str__(self) -> str:
        return self.stored

    @classmethod
    def parse(cls, stored: str) -> Actor:
        """Read an audit column back. Rows from before the type carry other prefixes (``person:li``); those are
        refused here rather than guessed at (callers show such a row's text as it is)."""
        kind, _, name = stored.partition(":")
        try:
            return cls(ActorKind(kind), name)
        except ValueError:
            raise InvalidActor(value=stored, reason=Text("unknown kind %(kind)r", kind=kind)) from None
