"""The Pinduoduo open-platform adapter: request signing, typed gateway errors, the rate-limited retrying client,
the anti-miss increment walk, and the mapping of PDD order objects to canonical orders."""

from kuaifa.platforms.pdd.client import PddClient, ShipmentConflict
from kuaifa.platforms.pdd.errors import (
    PddAuthError,
    PddBannedError,
    PddBusinessError,
    PddConfigError,
    PddError,
    PddOrderNotFound,
    PddParamError,
    PddPermissionError,
    PddRateLimited,
    PddRetryableError,
    PddSignError,
    PddTokenExpired,
    PddTransportError,
    error_from_response,
)
from kuaifa.platforms.pdd.mapping import OrderMappingError, order_from_pdd
from kuaifa.platforms.pdd.signing import sign

__all__ = [
    "OrderMappingError",
    "PddAuthError",
    "PddBannedError",
    "PddBusinessError",
    "PddClient",
    "PddConfigError",
    "PddError",
    "PddOrderNotFound",
    "PddParamError",
    "PddPermissionError",
    "PddRateLimited",
    "PddRetryableError",
    "PddSignError",
    "PddTokenExpired",
    "PddTransportError",
    "ShipmentConflict",
    "error_from_response",
    "order_from_pdd",
    "sign",
]
