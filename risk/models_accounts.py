"""The borrowers' settlement accounts (结算账户, the report's 数据湖 data) as the core system delivers them.

Each business day the core sends two files: the day's balances of each borrower's settlement account and
the account's transactions. Like the provider's records, a row names its borrower by ``pii_hash`` of the
normalised resident ID number (the warning rules join farmers on it), never in clear.

The anchor's own settlement accounts are kept here too, by anchor (``AnchorSettlementAccount``): money
that leaves a borrower's account for one of them pays for feed; money that leaves for anywhere else soon
after a drawdown is what the ``FUNDS_DIVERTED`` rule watches. They live in ``risk`` (the rules' facts), not
in ``partners``, whose anchor record stays the agreement's.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import MoneyField, StoredFile

ACCOUNT_NO_LENGTH = 32  # a bank account number: up to 32 digits (a card has 16-19, a corporate account more)


class AccountDelivery(models.Model):
    """每次结算账户数据交付: one file of the core system (balances or transactions), kept with its SHA-256."""

    class Kind(models.TextChoices):
        BALANCES = "balances", _("Account balances")
        TRANSACTIONS = "transactions", _("Account transactions")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    file = models.ForeignKey(StoredFile, verbose_name=_("file"), on_delete=models.PROTECT, related_name="+")
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
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("records created"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    # The ids of the rows it created, from first to last: one import writes them in one statement under a
    # lock, so they are a range of the primary key, by which the warning run reads a day's new rows.
    first_row = models.BigIntegerField(null=True, blank=True, editable=False)
    last_row = models.BigIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("settlement account delivery")
        verbose_name_plural = _("settlement account deliveries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["business_date"], name="account_delivery_date")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.business_date})"


class AccountBalance(models.Model):
    """结算账户日终余额: an account's balance at the end of a day. One per (account, date)."""

    account_no = models.CharField(_("account number"), max_length=ACCOUNT_NO_LENGTH)
    id_hash = models.CharField(_("identity hash"), max_length=64)
    balance_date = models.DateField(_("balance date"))
    balance = MoneyField(_("balance"))
    # Kept by the application (rows are only written by the import, with the delivery it holds): no
    # foreign-key trigger per row of a large delivery, and no index (records are read by account).
    delivery = models.ForeignKey(
        AccountDelivery,
        verbose_name=_("delivery"),
        on_delete=models.PROTECT,
        related_name="balances",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        verbose_name = _("account balance")
        verbose_name_plural = _("account balances")
        constraints = [
            models.UniqueConstraint(fields=["account_no", "balance_date"], name="account_balance_unique"),
        ]
        indexes = [models.Index(fields=["id_hash", "balance_date"], name="account_balance_farmer")]

    def __str__(self) -> str:
        return f"{self.balance_date} {self.balance}"


class AccountTransaction(models.Model):
    """结算账户交易流水: one movement of a borrower's settlement account, unique by the core's reference."""

    class Direction(models.TextChoices):
        IN = "in", _("In")
        OUT = "out", _("Out")

    reference = models.CharField(_("transaction reference"), max_length=64, unique=True)
    account_no = models.CharField(_("account number"), max_length=ACCOUNT_NO_LENGTH)
    id_hash = models.CharField(_("identity hash"), max_length=64)
    txn_date = models.DateField(_("transaction date"))
    amount = MoneyField(_("amount"))
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    counterparty_account = models.CharField(_("counterparty account"), max_length=ACCOUNT_NO_LENGTH, blank=True)
    counterparty_name = models.CharField(_("counterparty name"), max_length=100, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    # Not indexed either: a delivery's rows are a range of ids (``AccountDelivery.first_row``).
    delivery = models.ForeignKey(
        AccountDelivery,
        verbose_name=_("delivery"),
        on_delete=models.PROTECT,
        related_name="transactions",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        verbose_name = _("account transaction")
        verbose_name_plural = _("account transactions")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="account_transaction_amount_positive"),
            models.CheckConstraint(condition=models.Q(direction__in=["in", "out"]), name="account_transaction_dir"),
        ]
        indexes = [
            # The rules read a borrower's money out after a drawdown and his money in per month, each from
            # its own partial index with the columns they sum and compare: the table itself is not read.
            models.Index(
                fields=["id_hash", "txn_date"],
                name="account_txn_out",
                condition=models.Q(direction="out"),
                include=["amount", "counterparty_account"],
            ),
            models.Index(
                fields=["id_hash", "txn_date"],
                name="account_txn_in",
                condition=models.Q(direction="in"),
                include=["amount"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.txn_date} {self.direction} {self.amount}"


class AnchorSettlementAccount(models.Model):
    """龙头企业结算账户: an account of the anchor's into which its farmers pay for feed.

    Never deleted: an account the anchor no longer uses is ``removed_on`` a business date, so that the
    warning run knows which borrowers to look at again (their money paid to it is diverted from then on).
    """

    anchor = models.ForeignKey(
        "partners.Anchor", verbose_name=_("anchor"), on_delete=models.PROTECT, related_name="settlement_accounts"
    )
    account_no = models.CharField(_("account number"), max_length=ACCOUNT_NO_LENGTH)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    added_on = models.DateField(_("added on"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("added by"), on_delete=models.PROTECT, related_name="+"
    )
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("removed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("anchor settlement account")
        verbose_name_plural = _("anchor settlement accounts")
        ordering = ["anchor", "account_no"]
        constraints = [
            # An account in use belongs to one anchor once.
            models.UniqueConstraint(
                fields=["account_no"], condition=models.Q(removed_on__isnull=True), name="anchor_account_in_use"
            ),
        ]
        indexes = [models.Index(fields=["anchor", "account_no"], name="anchor_account_lookup")]

    def __str__(self) -> str:
        return self.account_no
