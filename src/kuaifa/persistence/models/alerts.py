from django.db import models

from kuaifa.persistence.models.catalog import Shop
from kuaifa.persistence.models.orders import Order


class ShopSlaPolicy(models.Model):
    """A shop's SLA settings: alert thresholds (minutes before ship-by; 0 = overdue), the late-shipment penalty
    estimate (the platform's formula is not public) and how long an alert may wait for acknowledgement before it is
    escalated. A shop without a row uses the defaults of ``domain.sla.alerts``."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="sla_policy")
    marks_minutes = models.JSONField(default=list)
    penalty_basis_points = models.PositiveIntegerField(default=500)
    penalty_min_fen = models.BigIntegerField(default=300)
    penalty_max_fen = models.BigIntegerField(null=True, blank=True)
    escalate_after_minutes = models.PositiveIntegerField(default=30)
    updated_at = models.DateTimeField()


class Alert(models.Model):
    """Something a person should look at, raised once: ``key`` names the fact (e.g. ``sla:T-6h:<order id>``) so a
    sweep that finds it again raises nothing new. Acknowledged by a person; escalated when nobody does in time."""

    class Severity(models.TextChoices):
        INFO = "info", "提示"
        WARNING = "warning", "警告"
        CRITICAL = "critical", "严重"

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    shop = models.ForeignKey(Shop, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, default="")
    details = models.JSONField(default=dict, blank=True)
    raised_at = models.DateTimeField()
    escalate_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["acknowledged_at", "raised_at"]),
            models.Index(fields=["escalated_at", "escalate_at"]),
        ]


class Webhook(models.Model):
    """A team chat robot: 企业微信 (key in the URL), 钉钉 (HMAC-SHA256 signature in the query) or 飞书 (signature
    in the body). The secret is sealed at rest like platform credentials."""

    class Kind(models.TextChoices):
        WECOM = "wecom", "企业微信"
        DINGTALK = "dingtalk", "钉钉"
        FEISHU = "feishu", "飞书"

    name = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    url = models.CharField(max_length=500)
    secret = models.TextField(blank=True, default="")  # sealed
    markdown = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()


class AlertRoute(models.Model):
    """Who gets what: alerts of ``kinds`` (empty = all) at or above ``min_severity`` for a shop (or every shop) go
    to the role's webhook. ``on_escalation`` routes get an alert only once it is escalated (e.g. the owner)."""

    role = models.CharField(max_length=32)
    shop = models.ForeignKey(Shop, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kinds = models.JSONField(default=list, blank=True)
    min_severity = models.CharField(max_length=16, default="info")
    on_escalation = models.BooleanField(default=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="routes")
    created_at = models.DateTimeField()


class AlertDelivery(models.Model):
    """One alert owed to one webhook at one stage (raised / escalated): sent until the robot accepts it, retried
    with backoff, claimed with a lease so two workers never post it twice at once (the outbox's rules, its own
    table because a webhook is no platform call and needs no shop)."""

    class State(models.TextChoices):
        PENDING = "pending", "待发送"
        SENDING = "sending", "发送中"
        DONE = "done", "已送达"
        FAILED = "failed", "失败"

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    stage = models.CharField(max_length=16, default="raised")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "webhook", "stage"], name="alert_delivery_once_per_stage")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]


class ReplyRule(models.Model):
    """A merchant's auto-reply rule (智能客服): keywords (all of a group must appear; any group may match) or a
    regular expression → a reply template with ``{tracking_number}``-style fields. Checked before the built-in
    defaults, highest priority first; a shop's rules apply to its orders, shop-less rules to every shop."""

    shop = models.ForeignKey(Shop, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=64, unique=True)
    intent = models.CharField(max_length=32)
    keywords = models.JSONField(default=list, blank=True)
    pattern = models.CharField(max_length=500, blank=True, default="")
    template = models.TextField()
    priority = models.IntegerField(default=100)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
