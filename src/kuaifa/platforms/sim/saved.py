"""The simulator's state file: what a restarted simulator must remember so the shops authorised on it keep working.

PDD keeps the tokens it issued across its own restarts; a simulator that forgot them would answer a shop authorised
in an earlier run with 20032 (access_token 或 client_id 错误). So ``kuaifa serve --with-sim`` keeps, in one JSON file
under ``KUAIFA_HOME``:

- the shop it simulates (seed, first day, days, orders a day): the same config generates the same orders, so order
  numbers Kuaifa already holds stay the platform's orders;
- every token it issued (expired ones too, which answer 10019 and can be refreshed), the unused refresh tokens and
  the issue counter;
- the shipments it accepted (``pdd.logistics.online.send``), replayed at their moment so a shipped order stays
  shipped.

Not kept: after-sales decisions and extra waybills (a restart shows those cases as the generator scripted them),
authorisation codes (valid for minutes), rate windows and injected faults.

The file is replaced atomically (written beside it, then renamed) and readable by its owner only: it holds live
tokens. A file that cannot be read is refused with its path rather than silently started afresh.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from kuaifa.platforms.sim.clock import beijing_midnight
from kuaifa.platforms.sim.shop import DAY, ShopConfig
from kuaifa.platforms.sim.state import ShipmentRecord, SimState, TokenRecord

FILE_NAME = "pdd-sim-state.json"
VERSION = 1
#: a saved shop is generated again only while it has at least this much of its days left; after that a new one
#: starts (from the day the caller gives) and the tokens carry over to it
MIN_DAYS_LEFT = 1


class SavedStateUnreadable(Exception):
    """The state file exists but is not a state file this simulator wrote."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason} (move the file away to start the simulator afresh)")
        self.path = path


def _read(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SavedStateUnreadable(path, f"not readable as JSON ({error})") from None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise SavedStateUnreadable(path, f"not a version {VERSION} simulator state file")
    return data


def saved_config(path: Path, fresh: ShopConfig, *, now: float) -> ShopConfig:
    """The shop to simulate: the saved one while it has days left at ``now``, otherwise ``fresh``.

    Only the fields that shape the generated orders are taken from the file; the rest come from ``fresh``.
    """
    data = _read(path)
    if data is None or not isinstance(data.get("config"), dict):
        return fresh
    raw = data["config"]
    try:
        config = ShopConfig(
            **{**asdict(fresh), "seed": int(raw["seed"]), "start": date.fromisoformat(str(raw["start"])),
               "days": int(raw["days"]), "orders_per_day": int(raw["orders_per_day"])}
        )  # fmt: skip
    except (KeyError, TypeError, ValueError) as error:
        raise SavedStateUnreadable(path, f"config: {error!r}") from None
    end = beijing_midnight(config.start.year, config.start.month, config.start.day) + config.days * DAY
    return config if end - now >= MIN_DAYS_LEFT * DAY else fresh


def restore(state: SimState, path: Path) -> None:
    """Honour what an earlier run saved: its tokens always; its shipments when it simulated this same shop."""
    data = _read(path)
    if data is None:
        return
    try:
        tokens = [TokenRecord(**record) for record in data.get("tokens", [])]
        refresh = {str(k): str(v) for k, v in dict(data.get("refresh_tokens", {})).items()}
        seq = int(data.get("token_seq", 0))
        shipments = [ShipmentRecord(**record) for record in data.get("shipments", [])]
        same_shop = data.get("config") == _config_json(state.shop.config)
    except (TypeError, ValueError) as error:
        raise SavedStateUnreadable(path, repr(error)) from None
    state.restore_tokens(tokens, refresh, seq)
    if not same_shop:
        return
    with state.lock:
        running_now = state.now()
        for shipment in sorted(shipments, key=lambda s: s.at):
            state.set_now(shipment.at)  # the order as it stood when it was shipped, and shipped at that moment
            if state.order(shipment.order_sn) is not None:
                state.record_shipment(shipment)
        state.set_now(running_now)


def keep_saved(state: SimState, path: Path) -> None:
    """Write the state file now and after every change a restart must honour (``SimState.on_change``)."""

    def save(current: SimState) -> None:
        write(current, path)

    state.on_change = save
    write(state, path)


def write(state: SimState, path: Path) -> None:
    """Replace the state file with the state as it is (atomically, mode 0600)."""
    with state.lock:
        tokens, refresh, seq = state.tokens_snapshot()
        data = {
            "version": VERSION,
            "config": _config_json(state.shop.config),
            "tokens": [asdict(record) for record in tokens],
            "refresh_tokens": refresh,
            "token_seq": seq,
            "shipments": [asdict(shipment) for shipment in state.shipments],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out, ensure_ascii=False)
            os.chmod(temporary, 0o600)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _config_json(config: ShopConfig) -> dict[str, Any]:
    return {"seed": config.seed, "start": config.start.isoformat(), "days": config.days,
            "orders_per_day": config.orders_per_day}  # fmt: skip
