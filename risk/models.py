"""Third-party data: the provider, its deliveries, trade records, monitoring events; outbreaks.

Identity numbers never reach these tables in clear: a trade record or an
event names its subject by ``pii_hash`` of the normalised number, which is
what the cross-validation and the warning rules join on.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import MoneyField, StoredFile, TimeStampedModel


class DataProvider(TimeStampedModel):
    """三方数据服务商: who delivers trade records and monitoring events, and signs its API pushes."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # The shared key of the HMAC signatures; set by ``provider_create``, never typed in.
    secret = models.CharField(_("signing secret"), max_length=64, editable=False)
    is_default = models.BooleanField(_("default provider"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("data provider")
        verbose_name_plural = _("data providers")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="data_provider_one_default"
            ),
            models.CheckConstraint(condition=~models.Q(secret=""), name="data_provider_secret_set"),
        ]

    def __str__(self) -> str:
        return self.name


class ProviderDelivery(models.Model):
    """每次数据交付: one file or one API push, with its counts. Every record points back to it."""

    class Kind(models.TextChoices):
        TRADES = "trades", _("Trade records")
        EVENTS = "events", _("Monitoring events")

    class Channel(models.TextChoices):
        FILE = "file", _("File upload")
        API = "api", _("API push")

    provider = models.ForeignKey(
        DataProvider, verbose_name=_("data provider"), on_delete=models.PROTECT, related_name="deliveries"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    anchor = models.ForeignKey(
        "partners.Anchor",
        verbose_name=_("anchor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="provider_deliveries",
    )
    file = models.ForeignKey(
        StoredFile, verbose_name=_("file"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    business_date = models.DateField(_("business date"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created = models.PositiveIntegerField(_("records created"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    conflicts = models.PositiveIntegerField(_("conflicts"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("provider delivery")
        verbose_name_plural = _("provider deliveries")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="trades") | models.Q(anchor__isnull=False),
                name="provider_delivery_trades_have_anchor",
            ),
        ]
        indexes = [models.Index(fields=["provider", "kind", "business_date"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.business_date})"


class TradeRecord(models.Model):
    """三方交易数据: one order of a farmer with the anchor, as the provider pulled it from the anchor's ERP.

    The order number is unique per anchor, which makes a re-delivery
    idempotent. The cross-validation sums ``amount`` per (anchor, id_hash)
    over a date window; the (anchor, id_hash, order_date, amount) index serves it,
    and the warning rules on orders, without reading the table (the amount is in
    the index).
    """

    # Both references are kept by the application, not by the database: a
    # delivery of millions of rows would otherwise fire two foreign-key
    # triggers per row at commit, which costs more than the load itself (the
    # benchmark: 44 s of 130 s for 2.4 million rows). Rows are only ever
    # written by ``_rows_insert`` with the anchor and the delivery it holds in
    # the same transaction, and neither is ever deleted (PROTECT).
    # The unique constraint and the index below both begin with the anchor,
    # so no index on it alone either.
    anchor = models.ForeignKey(
        "partners.Anchor",
        verbose_name=_("anchor"),
        on_delete=models.PROTECT,
        related_name="trade_records",
        db_index=False,
        db_constraint=False,
    )
    id_hash = models.CharField(_("identity hash"), max_length=64)
    order_no = models.CharField(_("order number"), max_length=64)
    order_date = models.DateField(_("order date"))
    amount = MoneyField(_("order amount"))
    # Not indexed either: the index cost an eighth of the database time of a
    # bulk load, and records are looked up by farmer, not by delivery.
    delivery = models.ForeignKey(
        ProviderDelivery,
        verbose_name=_("delivery"),
        on_delete=models.PROTECT,
        related_name="trade_records",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        verbose_name = _("trade record")
        verbose_name_plural = _("trade records")
        constraints = [
            models.UniqueConstraint(fields=["anchor", "order_no"], name="trade_record_order_unique"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="trade_record_amount_not_negative"),
        ]
        indexes = [
            models.Index(fields=["anchor", "id_hash", "order_date", "amount"], name="trade_record_farmer_orders"),
            # The daily warning run finds the farmers whose last order just left its window by date.
            models.Index(fields=["order_date"], name="trade_record_order_date"),
        ]

    def __str__(self) -> str:
        return f"{self.order_no} {self.order_date} {self.amount}"


class EventType(models.TextChoices):
    """What a monitoring event reports (the codes of the contract's event_type column)."""

    LITIGATION = "litigation", _("Litigation")
    ENFORCEMENT = "enforcement", _("Enforcement")
    DISHONEST = "dishonest", _("Dishonest judgement debtor")
    MULTI_LENDER = "multi_lender", _("Multi-lender borrowing")
    CREDIT_OVERDUE = "credit_overdue", _("Overdue at another lender")
    BUSINESS_ABNORMAL = "business_abnormal", _("Abnormal business operation")


class MonitoringEvent(models.Model):
    """三方监测数据: litigation, enforcement, multi-lender borrowing… on a farmer or an enterprise."""

    class SubjectKind(models.TextChoices):
        PERSON = "person", _("Person")
        ENTERPRISE = "enterprise", _("Enterprise")

    EventType = EventType

    provider = models.ForeignKey(
        DataProvider,
        verbose_name=_("data provider"),
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,  # the unique constraint begins with it
    )
    event_id = models.CharField(_("event number"), max_length=64)
    subject_hash = models.CharField(_("subject hash"), max_length=64)
    subject_kind = models.CharField(_("subject kind"), max_length=16, choices=SubjectKind.choices)
    event_type = models.CharField(_("event type"), max_length=32, choices=EventType)
    event_date = models.DateField(_("event date"))
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=2, null=True, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    delivery = models.ForeignKey(
        ProviderDelivery, verbose_name=_("delivery"), on_delete=models.PROTECT, related_name="events"
    )

    class Meta:
        verbose_name = _("monitoring event")
        verbose_name_plural = _("monitoring events")
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="monitoring_event_unique"),
            models.CheckConstraint(
                condition=models.Q(event_type__in=EventType.values),
                name="monitoring_event_type_known",
            ),
        ]
        indexes = [models.Index(fields=["subject_hash", "event_type", "event_date"], name="monitoring_event_subject")]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()} {self.event_date}"


class ProviderConflict(models.Model):
    """A delivered record whose key is already stored with other content: never stored, kept here instead.

    The data team takes each one up with the provider; ``stored`` and ``received`` hold the two versions
    side by side (farmer as a masked hash, date, amount or event fields).
    """

    delivery = models.ForeignKey(
        ProviderDelivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="conflict_records"
    )
    row = models.PositiveIntegerField(
        _("row"), null=True, blank=True
    )  # a file's row, or the item's position in an API push
    key = models.CharField(_("key"), max_length=64)  # the order number or the event number
    stored = models.JSONField(_("stored values"))
    received = models.JSONField(_("received values"))

    class Meta:
        verbose_name = _("provider conflict")
        verbose_name_plural = _("provider conflicts")
        ordering = ["delivery", "row", "id"]

    def __str__(self) -> str:
        return f"{self.delivery_id}: {self.key}"


class Outbreak(TimeStampedModel):
    """区域疫情: a declared animal-disease outbreak (e.g. African swine fever) in a region."""

    region_code = models.CharField(_("region code"), max_length=6)
    disease = models.CharField(_("disease"), max_length=100)
    declared_on = models.DateField(_("declared on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("regional outbreak")
        verbose_name_plural = _("regional outbreaks")
        ordering = ["-declared_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(region_code__regex=r"^[0-9]{6}$"), name="outbreak_region_code_digits"
            ),
        ]
        indexes = [models.Index(fields=["region_code", "declared_on"], name="outbreak_region_date")]

    def __str__(self) -> str:
        return f"{self.disease} {self.region_code} {self.declared_on}"


class ProviderRequestNonce(models.Model):
    """The signature of each accepted API push: the same signed request is never accepted twice."""

    provider = models.ForeignKey(
        DataProvider,
        verbose_name=_("data provider"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique constraint begins with it
    )
    signature = models.CharField(_("signature"), max_length=64)
    received_at = models.DateTimeField(_("received at"), db_index=True)

    class Meta:
        verbose_name = _("provider request")
        verbose_name_plural = _("provider requests")
        constraints = [
            models.UniqueConstraint(fields=["provider", "signature"], name="provider_request_once"),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.signature[:12]}"


# The settlement accounts' models live in their own module; Django finds them here.
from risk.models_accounts import (  # noqa: E402
    AccountBalance,
    AccountDelivery,
    AccountTransaction,
    AnchorSettlementAccount,
)

__all__ = [
    "AccountBalance",
    "AccountDelivery",
    "AccountTransaction",
    "AnchorSettlementAccount",
    "DataProvider",
    "EventType",
    "MonitoringEvent",
    "Outbreak",
    "ProviderConflict",
    "ProviderDelivery",
    "ProviderRequestNonce",
    "TradeRecord",
]
