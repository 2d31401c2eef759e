"""How a simulated API is declared: its name, its response wrapper, whether it needs a merchant token, and the
function that answers it (pdd-reference §1.4: ``{"<name>_response": {...}}``, except APIs answering at top level).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kuaifa.platforms.sim.params import Params
from kuaifa.platforms.sim.state import SimState, TokenRecord


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: the app, and the merchant token when the API needs one."""

    client_id: str
    token: TokenRecord | None


Handler = Callable[[SimState, Params, Caller], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class SimApi:
    name: str
    handler: Handler
    response_name: str | None  # None: the answer's fields are at top level (pdd.refund.information.get)
    needs_token: bool = True
