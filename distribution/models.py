"""名单分发: the lists the branch markets to, handed down the organisation tree, and what each contact came to.

A list (``OutreachList``, 名单) has an owner (a node, and a person if one keeps it) and a kind: a programme's
whitelist (白名单, kept in step with the approved limits), the bank's own pre-approved list for its online
business loan (经营快贷), the private-banking team's clients found on such a list, or the bank-card
department's merchants of 商圈 and 专业市场. Its entries (``ListEntry``) start at the owner's node and are
assigned down: a sub-branch to its outlets, an outlet to its staff; every (re)assignment is a row of
``EntryAssignment``. Each contact is a ``ContactOutcome``; the entry's ``stage`` follows the funnel
(whitelisted → contacted → reached → drew) and never goes back.

Identity numbers are kept only as their keyed hash and masked form; a phone number is kept (the person who
calls needs it) and shown masked everywhere except to the entry's assignee, whose view is audited.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import MoneyField, StoredFile
from origination.models import WhitelistEntry
from partners.models import Anchor, Farmer, OrgNode, Program, User


class OutreachList(models.Model):
    """名单: customers to market to, with an owner and a kind; each list has its own funnel."""

    class Kind(models.TextChoices):
        PROGRAM_WHITELIST = "program_whitelist", _("Programme whitelist")
        PREAPPROVED = "preapproved", _("Online business loan pre-approved list")
        PRIVATE_BANKING = "private_banking", _("Private-banking clients on a list")
        MERCHANTS = "merchants", _("Merchants of business districts and markets")

    name = models.CharField(_("list name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    owner_node = models.ForeignKey(
        OrgNode, verbose_name=_("owner node"), on_delete=models.PROTECT, related_name="outreach_lists"
    )
    owner_user = models.ForeignKey(
        User, verbose_name=_("owner"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    program = models.OneToOneField(
        Program,
        verbose_name=_("programme"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outreach_list",
    )
    # The list a private-banking match was found on.
    source_list = models.ForeignKey(
        "self", verbose_name=_("matched against"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    list_date = models.DateField(_("list date"))
    file = models.ForeignKey(
        StoredFile, verbose_name=_("file"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    created_by = models.ForeignKey(User, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("outreach list")
        verbose_name_plural = _("outreach lists")
        ordering = ["-list_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="program_whitelist", program__isnull=False)
                | (~models.Q(kind="program_whitelist") & models.Q(program__isnull=True)),
                name="outreach_list_program_only_for_whitelist",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.IntegerChoices):
    """The funnel's steps, in order: an entry's stage only moves forward."""

    WHITELISTED = 0, _("Whitelisted")
    CONTACTED = 1, _("Contacted")
    REACHED = 2, _("Reached")
    DREW = 3, _("Drew")


class ListEntry(models.Model):
    """One customer on a list: where it sits in the tree, who works it and how far it went."""

    outreach_list = models.ForeignKey(
        OutreachList, verbose_name=_("list"), on_delete=models.PROTECT, related_name="entries"
    )
    farmer = models.ForeignKey(
        Farmer, verbose_name=_("farmer"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    whitelist_entry = models.OneToOneField(
        WhitelistEntry,
        verbose_name=_("whitelist entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outreach_entry",
    )
    name = models.CharField(_("name"), max_length=100)
    id_hash = models.CharField(_("identity hash"), max_length=64, blank=True)
    id_masked = models.CharField(_("resident ID (masked)"), max_length=18, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    region_code = models.CharField(_("region code"), max_length=6, blank=True)
    breed = models.CharField(_("breed"), max_length=50, blank=True)
    anchor = models.ForeignKey(
        Anchor, verbose_name=_("anchor"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = MoneyField(_("amount"), null=True, blank=True)
    # What a file said beyond the columns above (account opened on, merchant category, market).
    details = models.JSONField(_("details"), default=dict, blank=True)
    node = models.ForeignKey(OrgNode, verbose_name=_("node"), on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(
        User, verbose_name=_("assigned to"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    stage = models.PositiveSmallIntegerField(_("stage"), choices=Stage, default=Stage.WHITELISTED)
    available = models.BooleanField(_("available"), default=True)
    unavailable_since = models.DateField(_("unavailable since"), null=True, blank=True)
    last_result = models.CharField(_("last result"), max_length=16, blank=True)
    last_contact_on = models.DateField(_("last contact"), null=True, blank=True)
    drew_on = models.DateField(_("drew on"), null=True, blank=True)
    added_on = models.DateField(_("added on"))

    class Meta:
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["outreach_list", "id_hash"], condition=~models.Q(id_hash=""), name="list_entry_one_identity"
            ),
            models.UniqueConstraint(
                fields=["outreach_list", "reference"],
                condition=~models.Q(reference=""),
                name="list_entry_one_reference",
            ),
            models.CheckConstraint(condition=models.Q(stage__gte=0, stage__lte=3), name="list_entry_stage_known"),
        ]
        indexes = [
            models.Index(fields=["outreach_list", "stage"]),
            models.Index(fields=["assignee", "stage"]),
            models.Index(fields=["node"]),
        ]

    def __str__(self) -> str:
        return f"{self.outreach_list_id}:{self.name}"


class EntryAssignment(models.Model):
    """Each (re)assignment of an entry: who moved it, when, from which node or person to which."""

    entry = models.ForeignKey(ListEntry, on_delete=models.CASCADE, related_name="assignments")
    from_node = models.ForeignKey(
        OrgNode, verbose_name=_("from node"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    to_node = models.ForeignKey(OrgNode, verbose_name=_("to node"), on_delete=models.PROTECT, related_name="+")
    from_user = models.ForeignKey(
        User, verbose_name=_("from person"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_user = models.ForeignKey(
        User, verbose_name=_("to person"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(User, verbose_name=_("assigned by"), on_delete=models.PROTECT, related_name="+")
    business_date = models.DateField(_("business date"))
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("entry assignment")
        verbose_name_plural = _("entry assignments")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.from_node_id} → {self.to_node_id}"


class CallResultsFile(models.Model):
    """A results file of the 95588 call centre, imported once (by its SHA-256) into contact outcomes."""

    name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    file = models.ForeignKey(StoredFile, verbose_name=_("file"), on_delete=models.PROTECT, related_name="+")
    rows_total = models.PositiveIntegerField(_("rows"))
    business_date = models.DateField(_("business date"))
    imported_by = models.ForeignKey(User, verbose_name=_("imported by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("call results file")
        verbose_name_plural = _("call results files")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sha256[:12]})"


class ContactOutcome(models.Model):
    """联系结果: one contact with a customer on a list and what came of it."""

    class Result(models.TextChoices):
        REACHED = "reached", _("Reached")
        NOT_REACHED = "not_reached", _("Not reached")
        DECLINED = "declined", _("Declined")
        INTERESTED = "interested", _("Interested")
        DREW = "drew", _("Drew")
        FRAUD = "fraud", _("Thought it a fraud")

    class Channel(models.TextChoices):
        CALL = "call", _("Phone call")
        VISIT = "visit", _("Visit")
        SMS = "sms", _("SMS")
        CALL_CENTRE = "95588", _("95588 call centre")

    entry = models.ForeignKey(ListEntry, verbose_name=_("entry"), on_delete=models.PROTECT, related_name="outcomes")
    result = models.CharField(_("result"), max_length=16, choices=Result.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    contacted_at = models.DateTimeField(_("contacted at"))
    business_date = models.DateField(_("business date"))
    actor = models.ForeignKey(
        User, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    results_file = models.ForeignKey(
        CallResultsFile, null=True, blank=True, on_delete=models.PROTECT, related_name="outcomes"
    )
    row = models.PositiveIntegerField(_("row"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contact outcome")
        verbose_name_plural = _("contact outcomes")
        ordering = ["-contacted_at", "-id"]
        indexes = [models.Index(fields=["entry", "-contacted_at"])]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.result}"


# The stage a result moves an entry to (at least).
RESULT_STAGE: dict[str, int] = {
    ContactOutcome.Result.NOT_REACHED: Stage.CONTACTED,
    ContactOutcome.Result.REACHED: Stage.REACHED,
    ContactOutcome.Result.DECLINED: Stage.REACHED,
    ContactOutcome.Result.INTERESTED: Stage.REACHED,
    ContactOutcome.Result.FRAUD: Stage.REACHED,
    ContactOutcome.Result.DREW: Stage.DREW,
}
