"""Fixtures for adapter tests against the PDD simulator: a gateway on 127.0.0.1, a free port and a fresh shop
per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kuaifa.platforms.sim import ShopConfig, SimGatewayServer, serve

SEED = 20260302


@pytest.fixture
def sim() -> Iterator[SimGatewayServer]:
    server, thread = serve("127.0.0.1", 0, config=ShopConfig(seed=SEED))
    yield server
    server.stop()
    thread.join(timeout=5)
