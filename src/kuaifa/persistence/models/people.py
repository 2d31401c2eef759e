from django.conf import settings
from django.db import models

from kuaifa.domain.access import Role
from kuaifa.persistence.models.catalog import Shop
from kuaifa.persistence.models.inventory import Warehouse


class Membership(models.Model):
    """A person on the merchant's team: one role, optionally scoped to some shops and warehouses (none = all)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(max_length=16, choices=[(r.value, r.value) for r in Role])
    shops = models.ManyToManyField(Shop, blank=True, related_name="+")
    warehouses = models.ManyToManyField(Warehouse, blank=True, related_name="+")
    language = models.CharField(max_length=8, default="zh-hans")
    created_at = models.DateTimeField()


class AccessEvent(models.Model):
    """The audit trail of changes that are not about one order: people added, platform SKUs mapped, syncs asked."""

    kind = models.CharField(max_length=32)
    actor = models.CharField(max_length=64)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["created_at"])]


class ApiToken(models.Model):
    """A person's key for the JSON API: it acts with that person's role and scope. Only a hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=64, blank=True, default="")
    key_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
