"""A PDD-compatible gateway simulator: a deterministic shop (``generator``), its state and clock (``state``), the
gateway rules (``gateway`` and the ``*_api`` modules) and an HTTP server (``server.serve``). Tests and demos talk to
it with the real client over real HTTP."""

from kuaifa.platforms.sim.generator import generate_shop
from kuaifa.platforms.sim.server import SimGatewayServer, serve, stop
from kuaifa.platforms.sim.shop import ShopConfig, SimShop
from kuaifa.platforms.sim.state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SimState

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "ShopConfig",
    "SimGatewayServer",
    "SimShop",
    "SimState",
    "generate_shop",
    "serve",
    "stop",
]
