from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import MoneyField, RatioField, StoredFile, TimeStampedModel
from core.roles import Role


class OrgNode(TimeStampedModel):
    """机构: 分行 (branch) → 支行 (sub-branch) → 网点 (outlet).

    ``path`` is the chain of codes from the root ("SC/CD01/CD0101/"), so a
    subtree is one indexed prefix match.
    """

    class Kind(models.TextChoices):
        BRANCH = "branch", _("Branch")
        SUB_BRANCH = "sub_branch", _("Sub-branch")
        OUTLET = "outlet", _("Outlet")

    class SubBranchClass(models.TextChoices):
        PRIORITY = "priority", _("Priority")
        FOLLOW_UP = "follow_up", _("Follow-up")
        SPECIALTY = "specialty", _("Specialty")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("level"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    sub_branch_class = models.CharField(
        _("sub-branch class"), max_length=16, choices=SubBranchClass.choices, blank=True, default=""
    )
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)

    class Meta:
        verbose_name = _("organisation node")
        verbose_name_plural = _("organisation nodes")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="sub_branch") & ~models.Q(sub_branch_class=""))
                | (~models.Q(kind="sub_branch") & models.Q(sub_branch_class="")),
                name="org_node_class_only_on_sub_branch",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="branch") | models.Q(parent__isnull=False),
                name="org_node_only_branch_is_root",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/")


class User(AbstractUser):
    """用户: one role, a home node whose subtree he sees, and for anchor operators their enterprise."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.ACCOUNT_MANAGER)
    org_node = models.ForeignKey(
        OrgNode, verbose_name=_("node"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    display_name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    anchor = models.ForeignKey(
        "partners.Anchor",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="operators",
        help_text=_("Only for anchor operators: the enterprise they act for."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or self.role in roles


class Anchor(TimeStampedModel):
    """龙头企业: the anchor enterprise that recommends farmers and guarantees their loans."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending approval")
        APPROVED = "approved", _("Approved")
        SUSPENDED = "suspended", _("Suspended")
        EXITED = "exited", _("Exited")

    name = models.CharField(_("enterprise name"), max_length=200)
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    registered_capital = MoneyField(_("registered capital"), null=True, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    org_node = models.ForeignKey(
        OrgNode, verbose_name=_("managing node"), on_delete=models.PROTECT, related_name="anchors"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(User, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        User, verbose_name=_("approved by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("anchor enterprise")
        verbose_name_plural = _("anchor enterprises")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AnchorAssessment(TimeStampedModel):
    """担保能力及准入资质评估: a dated look at the anchor's strength; one per quarter is expected."""

    class Rating(models.TextChoices):
        AAA = "AAA", "AAA"
        AA = "AA", "AA"
        A = "A", "A"
        BBB = "BBB", "BBB"
        BB = "BB", "BB"
        B = "B", "B"
        C = "C", "C"

    anchor = models.ForeignKey(Anchor, on_delete=models.CASCADE, related_name="assessments")
    assessed_on = models.DateField(_("assessed on"))
    net_assets = MoneyField(_("net assets"), null=True, blank=True)
    revenue = MoneyField(_("annual revenue"), null=True, blank=True)
    existing_guarantees = MoneyField(_("existing guarantees"), null=True, blank=True)
    guarantee_capacity = MoneyField(_("guarantee capacity"))
    rating = models.CharField(_("rating"), max_length=4, choices=Rating.choices, blank=True)
    note = models.TextField(_("assessment note"), blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("anchor assessment")
        verbose_name_plural = _("anchor assessments")
        ordering = ["-assessed_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(guarantee_capacity__gte=0), name="assessment_capacity_positive")
        ]

    def __str__(self) -> str:
        return f"{self.anchor} {self.assessed_on}"


class Agreement(TimeStampedModel):
    """合作协议 / 担保合同 with the anchor, and the scan kept with its SHA-256."""

    class Kind(models.TextChoices):
        COOPERATION = "cooperation", _("Cooperation agreement")
        GUARANTEE = "guarantee", _("Guarantee contract")

    anchor = models.ForeignKey(Anchor, on_delete=models.CASCADE, related_name="agreements")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    number = models.CharField(_("agreement number"), max_length=64)
    signed_on = models.DateField(_("signed on"))
    expires_on = models.DateField(_("expires on"))
    scan = models.ForeignKey(
        StoredFile, verbose_name=_("scan"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["-signed_on"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="agreement_number_unique"),
            models.CheckConstraint(condition=models.Q(expires_on__gt=models.F("signed_on")), name="agreement_dates"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class Program(TimeStampedModel):
    """合作方案: the terms under which an anchor's farmers borrow. Every figure is a parameter."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        WARNING = "warning", _("Warning")
        SUSPENDED = "suspended", _("Suspended")

    anchor = models.ForeignKey(Anchor, verbose_name=_("anchor"), on_delete=models.PROTECT, related_name="programs")
    name = models.CharField(_("programme name"), max_length=200)
    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("cooperation agreement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="programs",
    )
    org_node = models.ForeignKey(OrgNode, verbose_name=_("managing node"), on_delete=models.PROTECT, related_name="+")
    manager = models.ForeignKey(
        User,
        verbose_name=_("programme manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    annual_rate = RatioField(_("annual interest rate"))
    total_cap = MoneyField(_("total cap"))
    per_farmer_cap = MoneyField(_("per-farmer cap"))
    order_ratio = RatioField(_("order ratio"))
    lookback_months = models.PositiveSmallIntegerField(_("look-back months"))
    margin_ratio = RatioField(_("margin ratio"))
    max_term_months = models.PositiveSmallIntegerField(_("maximum term (months)"))
    limit_validity_months = models.PositiveSmallIntegerField(_("limit validity (months)"))
    mismatch_tolerance = RatioField(_("mismatch tolerance"))
    npl_warning_ratio = RatioField(_("NPL warning ratio"))
    npl_suspend_ratio = RatioField(_("NPL suspension ratio"))
    penalty_markup = RatioField(_("penalty markup"))
    # Screening (准入筛查) of each recommended farmer before his limit: the scorecard's minimum, how far back
    # the provider's adverse events count, and from how many lenders a multi-lender event sends a row to review.
    min_score = models.DecimalField(_("minimum score"), max_digits=5, decimal_places=2)
    screening_lookback_days = models.PositiveSmallIntegerField(_("screening look-back (days)"))
    multi_lender_review_count = models.PositiveSmallIntegerField(_("lenders that send a farmer to review"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # A resumption accepts the NPL ratio of that day: the breaker suspends again only above it.
    breaker_accepted_ratio = RatioField(_("NPL ratio accepted at resumption"), null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["anchor__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(npl_warning_ratio__lt=models.F("npl_suspend_ratio")),
                name="program_npl_lines",
            ),
            models.CheckConstraint(
                condition=models.Q(per_farmer_cap__lte=models.F("total_cap")),
                name="program_farmer_cap_in_total",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProgramStatusChange(models.Model):
    """Each change of a programme's status, with the figures that caused it (circuit breaker or a person)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("from"), max_length=16, choices=Program.Status.choices)
    to_status = models.CharField(_("to"), max_length=16, choices=Program.Status.choices)
    business_date = models.DateField(_("business date"))
    npl_ratio = RatioField(_("NPL ratio"), null=True, blank=True)
    npl_principal = MoneyField(_("NPL principal"), null=True, blank=True)
    outstanding_principal = MoneyField(_("outstanding principal"), null=True, blank=True)
    reason = models.TextField(_("reason or assessment"), blank=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("programme status change")
        verbose_name_plural = _("programme status changes")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.program}: {self.from_status} → {self.to_status}"


class ProgramChange(TimeStampedModel):
    """A change of a programme's parameters: proposed by one person, approved by another, in force from a date.

    ``values`` holds the new value of each parameter changed (as text, the way the API writes it) and
    ``previous`` the values it replaces, read when it was proposed; the programme's own history keeps every
    version it went through.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Waiting for approval")
        APPROVED = "approved", _("Approved, waiting for its date")
        APPLIED = "applied", _("In force")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    OPEN_STATUSES = (Status.PROPOSED, Status.APPROVED)

    program = models.ForeignKey(Program, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="changes")
    values = models.JSONField(_("new values"))
    previous = models.JSONField(_("values before"))
    effective_from = models.DateField(_("effective from"))
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(User, verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="+")
    proposed_on = models.DateField(_("proposed on"))
    decided_by = models.ForeignKey(
        User, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    applied_on = models.DateField(_("applied on"), null=True, blank=True)

    class Meta:
        verbose_name = _("programme change")
        verbose_name_plural = _("programme changes")
        ordering = ["-id"]
        constraints = [
            # One open change per programme at a time: a second would be proposed against stale values.
            models.UniqueConstraint(
                fields=["program"],
                condition=models.Q(status__in=["proposed", "approved"]),
                name="program_change_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.effective_from}"


class MarginEntryQuerySet(models.QuerySet["MarginEntry"]):
    def posted(self) -> MarginEntryQuerySet:
        """The entries that count: a deposit still waiting for the bank's confirmation moves nothing."""
        return self.filter(status=MarginEntry.Status.POSTED)

    def pending(self) -> MarginEntryQuerySet:
        return self.filter(status=MarginEntry.Status.PENDING)


class MarginEntry(models.Model):
    """保证金台账: deposits, withdrawals and deductions. The balance is the sum of the posted ones, never stored.

    Bank staff post an entry at once. An anchor operator may only announce a deposit, which stays
    ``pending`` (it counts nowhere) until bank staff confirm that the money arrived.
    """

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        WITHDRAWAL = "withdrawal", _("Withdrawal")
        DEDUCTION = "deduction", _("Deduction for compensation")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the bank's confirmation")
        POSTED = "posted", _("Posted")

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="margin_entries")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # No default: whoever writes an entry says whether it counts (a check constraint refuses anything else).
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    amount = MoneyField(_("amount"))
    business_date = models.DateField(_("business date"))
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey(
        User, verbose_name=_("confirmed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    objects = MarginEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("margin entry")
        verbose_name_plural = _("margin entries")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="margin_entry_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "posted"]), name="margin_entry_status_known"
            ),
            models.CheckConstraint(
                condition=models.Q(status="posted") | models.Q(kind="deposit"),
                name="margin_entry_only_deposits_wait",
            ),
            models.CheckConstraint(
                condition=models.Q(status="posted") | models.Q(confirmed_by__isnull=True, confirmed_at__isnull=True),
                name="margin_entry_pending_is_unconfirmed",
            ),
        ]
        indexes = [
            models.Index(fields=["program"], condition=models.Q(status="pending"), name="margin_pending_by_program")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def reference_shown(self) -> str:
        """The reference as a person reads it: a month-end deduction names its loan (``loan:158``) by number."""
        kind, _sep, number = self.reference.partition(":")
        if kind == "loan" and number.isdigit():
            return gettext("Loan %(id)s") % {"id": number}
        return self.reference

    @property
    def signed_amount(self) -> Decimal:
        return Decimal(self.amount if self.kind == self.Kind.DEPOSIT else -self.amount)


class Farmer(TimeStampedModel):
    """养殖户: a borrower. The identity number is looked up by its keyed hash and shown masked."""

    name = models.CharField(_("name"), max_length=50)
    id_number = models.CharField(_("resident ID number"), max_length=18)
    # Unique and indexed through Meta, not ``unique=True``/``db_index=True``: on PostgreSQL those add a
    # second, pattern-ops index that no query uses and every bulk intake pays for.
    id_hash = models.CharField(_("identity hash"), max_length=64, editable=False)
    id_masked = models.CharField(_("resident ID (masked)"), max_length=18, editable=False)
    birth_date = models.DateField(_("birth date"))
    phone = models.CharField(_("mobile phone"), max_length=11)
    region_code = models.CharField(_("region code"), max_length=6, blank=True)
    breed = models.CharField(_("breed"), max_length=50, blank=True)
    org_node = models.ForeignKey(OrgNode, verbose_name=_("node"), on_delete=models.PROTECT, related_name="farmers")
    account_manager = models.ForeignKey(
        User,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("farmer")
        verbose_name_plural = _("farmers")
        constraints = [models.UniqueConstraint(fields=["id_hash"], name="farmer_id_hash_unique")]
        indexes = [models.Index(fields=["region_code"], name="farmer_region_code")]
        permissions = [("view_identity", _("Can see full identity and phone numbers"))]

    def __str__(self) -> str:
        return self.name


class AnchorFarmer(models.Model):
    """Which anchor recommended which farmer: what an anchor operator may see."""

    # No index of its own: the unique (anchor, farmer) key starts with it.
    anchor = models.ForeignKey(Anchor, on_delete=models.PROTECT, related_name="farmer_links", db_index=False)
    farmer = models.ForeignKey(Farmer, on_delete=models.PROTECT, related_name="anchor_links")
    first_recommended_on = models.DateField(_("first recommended on"))

    class Meta:
        verbose_name = _("anchor's farmer")
        verbose_name_plural = _("anchors' farmers")
        constraints = [models.UniqueConstraint(fields=["anchor", "farmer"], name="anchor_farmer_unique")]

    def __str__(self) -> str:
        return f"{self.anchor} – {self.farmer}"


class Product(TimeStampedModel):
    """其他产品 (综合营销): a product a borrower may hold beside his loan; the administrator keeps the list."""

    code = models.CharField(_("product code"), max_length=32, unique=True)
    name = models.CharField(_("product name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class HoldingImport(models.Model):
    """One file of product holdings (产品开通清单) as imported: kept byte for byte, with what came of each row."""

    file = models.ForeignKey(StoredFile, verbose_name=_("file"), on_delete=models.PROTECT, related_name="+")
    business_date = models.DateField(_("business date"))
    imported_by = models.ForeignKey(User, verbose_name=_("imported by"), on_delete=models.PROTECT, related_name="+")
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_created = models.PositiveIntegerField(_("new holdings"), default=0)
    rows_updated = models.PositiveIntegerField(_("earlier opening dates"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("already known"), default=0)
    rows_refused = models.PositiveIntegerField(_("refused rows"), default=0)
    errors = models.JSONField(_("row errors"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("holdings import")
        verbose_name_plural = _("holdings imports")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.file} {self.business_date}"


class ProductHolding(models.Model):
    """A farmer holds a product (开通): one row per farmer and product, with the day it was opened."""

    class Source(models.TextChoices):
        FILE = "file", _("File import")
        MANUAL = "manual", _("Entered by hand")

    farmer = models.ForeignKey(Farmer, verbose_name=_("farmer"), on_delete=models.PROTECT, related_name="holdings")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="holdings")
    opened_on = models.DateField(_("opened on"))
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    holding_import = models.ForeignKey(
        HoldingImport, null=True, blank=True, on_delete=models.PROTECT, related_name="holdings"
    )
    recorded_by = models.ForeignKey(
        User, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("product holding")
        verbose_name_plural = _("product holdings")
        constraints = [models.UniqueConstraint(fields=["farmer", "product"], name="one_holding_per_farmer_product")]
        indexes = [models.Index(fields=["product", "opened_on"])]

    def __str__(self) -> str:
        return f"{self.farmer} {self.product}"
