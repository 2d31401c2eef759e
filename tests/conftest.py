"""Shared fixtures. Service tests run on whichever database the settings select: SQLite by default,
PostgreSQL when ``DATABASE_URL`` is set (``make test`` runs both)."""

import os
from datetime import datetime

import pytest
from hypothesis import settings

from kuaifa.domain.inventory.catalog import SkuSpec
from tests.factories import ACTOR, NOW, make_order

__all__ = ["ACTOR", "NOW", "make_order"]

# `make test-thorough` runs every property test and the ledger state machine with 1,000 examples each.
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """Passwords hashed with a fast hasher in tests, as Django's testing guide advises: the production hasher
    (PBKDF2, a million iterations) takes ~0.4 s per password here, and the workbench's tests make four people each.
    Servers the tests start in their own processes (browser tests) keep the real one."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def shop(db):
    from kuaifa.services.catalog import add_shop, ensure_warehouse

    ensure_warehouse()
    return add_shop("测试店", now=NOW)


@pytest.fixture
def catalog(db):
    """Two SKUs and a bundle of them: GIFT-SET = 2 × TEA-001 + 1 × CUP-002."""
    from kuaifa.services.catalog import upsert_skus

    upsert_skus(
        [
            SkuSpec("TEA-001", name="绿茶", bin_location="A-01"),
            SkuSpec("CUP-002", name="茶杯", bin_location="B-02"),
            SkuSpec("GIFT-SET", name="礼盒", components=(("TEA-001", 2), ("CUP-002", 1))),
        ],
        now=NOW,
    )


def _tests_secret_key() -> None:
    """The suite seals credentials under its own explicit key (child processes inherit it through the
    environment); an install's key comes from `kuaifa init`, never from a built-in default."""
    import os

    from django.conf import settings

    os.environ.setdefault("KUAIFA_SECRET_KEY", "kuaifa-tests-only-secret-key")
    settings.SECRET_KEY = os.environ["KUAIFA_SECRET_KEY"]


_tests_secret_key()


@pytest.fixture(autouse=True)
def _chinese_by_default():
    """Every test starts in the product's default language; a test that switches to English cannot leak it."""
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.deactivate()
