"""Every change of the lists: made, imported, kept in step with the limits, handed down, contacted, called.

Each service runs in one transaction, writes its audit row and refuses with one ``DomainError``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.exports import csv_response, xlsx_response
from core.files import files_kept_only_on_commit, sha256_of, stored_file_create
from core.masking import mask_phone
from core.permissions import require_role
from core.roles import Role
from distribution import importers
from distribution.models import (
    RESULT_STAGE,
    CallResultsFile,
    ContactOutcome,
    EntryAssignment,
    ListEntry,
    OutreachList,
    Stage,
)
from distribution.selectors import assignable_nodes, assignable_people, visible_entries, visible_lists
from origination.models import CreditLimit, Loan, WhitelistEntry
from partners.models import Farmer, OrgNode, Program, User

# Who makes and imports lists, matches clients, exports call lists and imports the call centre's results.
LIST_MANAGE_ROLES = (Role.BRANCH_MANAGER, Role.ADMINISTRATOR)
# Who hands entries down and records contacts (within his subtree).
ASSIGN_ROLES = (Role.ACCOUNT_MANAGER, Role.BRANCH_MANAGER, Role.ADMINISTRATOR)
MAX_ERRORS_LISTED = 10_000
IMPORTED_KINDS = (OutreachList.Kind.PREAPPROVED, OutreachList.Kind.MERCHANTS)


def may_manage_lists(user: User) -> bool:
    return bool(user.is_superuser or user.role in LIST_MANAGE_ROLES)


def may_assign(user: User) -> bool:
    return bool(user.is_superuser or user.role in ASSIGN_ROLES)


def _available_q(today: dt.date, prefix: str = "") -> Q:
    """A limit that lends today: active and not past its expiry."""
    return Q(**{f"{prefix}status": CreditLimit.Status.ACTIVE, f"{prefix}expires_on__gt": today})


# --- the programme whitelist --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncResult:
    lists_created: int = 0
    added: int = 0
    unavailable: int = 0
    available_again: int = 0
    drew: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "lists_created": self.lists_created,
            "added": self.added,
            "unavailable": self.unavailable,
            "available_again": self.available_again,
            "drew": self.drew,
        }


def _program_list(program: Program, actor: User | None, today: dt.date) -> tuple[OutreachList, bool]:
    existing = OutreachList.objects.filter(program=program).first()
    if existing is not None:
        return existing, False
    with override(settings.LANGUAGE_CODE):  # a name kept as data, in the pages' default language
        name = _("%(program)s whitelist") % {"program": program.name}
    created = OutreachList.objects.create(
        name=name[:100],
        kind=OutreachList.Kind.PROGRAM_WHITELIST,
        owner_node=program.org_node,
        owner_user=program.manager,
        program=program,
        list_date=today,
        created_by=actor or program.created_by,
    )
    audit_record(
        actor=actor, action=AuditAction.OUTREACH_LIST_CREATE, subject=created, program=program.pk, kind=created.kind
    )
    return created, True


@transaction.atomic
def outreach_list_for_program(*, program: Program, actor: User) -> OutreachList:
    """The programme's whitelist as a list (made the first time), its entries brought up to date."""
    require_role(actor, *LIST_MANAGE_ROLES)
    outreach_list, _created = _program_list(program, actor, business_date_get())
    whitelist_sync(program_id=program.pk, actor=actor)
    return outreach_list


@transaction.atomic
def whitelist_sync(*, program_id: int | None = None, actor: User | None = None) -> SyncResult:
    """Keep each programme's list in step with its limits; safe to call any number of times.

    For every programme with a whitelist (or only ``program_id``): the list is made if missing; each whitelist
    entry whose limit lends today (active, not expired) and that is on no list gets an entry at the list
    owner's node (a farmer already on the list, after a renewal, keeps his entry, its history and its stage:
    it is moved to the new limit); entries whose limit no longer lends are marked unavailable, and available
    again when it does. Then, on every list, an entry whose farmer has a loan disbursed on or after the list's
    date is marked drawn. One audit row per list changed.
    """
    today = business_date_get()
    programs = Program.objects.filter(Exists(WhitelistEntry.objects.filter(program=OuterRef("pk"))))
    if program_id is not None:
        programs = programs.filter(pk=program_id)
    totals = {"lists_created": 0, "added": 0, "unavailable": 0, "available_again": 0, "drew": 0}
    changed: dict[int, dict[str, int]] = {}
    for program in programs.select_related("anchor", "org_node").order_by("pk"):
        outreach_list, created = _program_list(program, actor, today)
        totals["lists_created"] += int(created)
        counts = _sync_list(outreach_list, program, today)
        for key, value in counts.items():
            totals[key] += value
        if any(counts.values()):
            changed[outreach_list.pk] = counts
    drew = _mark_drawn(today, None if program_id is None else OutreachList.objects.filter(program_id=program_id))
    for list_id, count in drew.items():
        changed.setdefault(list_id, {})["drew"] = count
        totals["drew"] += count
    for list_id, counts in changed.items():
        audit_record(
            actor=actor,
            action=AuditAction.WHITELIST_SYNC,
            subject=OutreachList.objects.get(pk=list_id),
            **counts,
        )
    return SyncResult(**totals)


def _sync_list(outreach_list: OutreachList, program: Program, today: dt.date) -> dict[str, int]:
    lends = _available_q(today, "credit_limit__")
    new = WhitelistEntry.objects.filter(program=program, outreach_entry__isnull=True).filter(lends)
    # A renewed limit: the farmer already on the list keeps his entry (its history, its stage), moved to it.
    renewed = new.filter(farmer_id__in=ListEntry.objects.filter(outreach_list=outreach_list).values("farmer_id"))
    moved = renewed.count()
    # One update for all of them; a farmer with two new limits takes the newer one.
    newest = renewed.filter(farmer_id=OuterRef("farmer_id")).order_by("-pk")
    ListEntry.objects.filter(outreach_list=outreach_list, farmer_id__in=renewed.values("farmer_id")).update(
        whitelist_entry=Subquery(newest.values("pk")[:1]),
        amount=Subquery(newest.values("credit_limit__amount")[:1]),
        available=True,
        unavailable_since=None,
    )
    added = moved + _insert_new(outreach_list, program, today)
    entries = ListEntry.objects.filter(outreach_list=outreach_list, whitelist_entry__isnull=False)
    lending = _available_q(today, "whitelist_entry__credit_limit__")
    unavailable = entries.filter(available=True).exclude(lending).update(available=False, unavailable_since=today)
    available_again = entries.filter(available=False).filter(lending).update(available=True, unavailable_since=None)
    return {"added": added, "unavailable": unavailable, "available_again": available_again}


def _insert_new(outreach_list: OutreachList, program: Program, today: dt.date) -> int:
    """One ``INSERT … SELECT``: an entry at the owner's node for each whitelisted farmer whose limit lends today
    and who is not on the list yet (his latest whitelist entry, should he have two)."""
    entry_table = ListEntry._meta.db_table
    statement = f"""
        INSERT INTO {entry_table} (
            outreach_list_id, farmer_id, whitelist_entry_id, name, id_hash, id_masked, phone, reference,
            region_code, breed, anchor_id, amount, details, node_id, assignee_id, stage, available,
            unavailable_since, last_result, last_contact_on, drew_on, added_on
        )
        SELECT DISTINCT ON (w.farmer_id)
            %(list)s, f.id, w.id, f.name, f.id_hash, f.id_masked, f.phone, '',
            f.region_code, f.breed, %(anchor)s, l.amount, '{{}}'::jsonb, %(node)s, NULL, 0, TRUE,
            NULL, '', NULL, NULL, w.added_on
        FROM {WhitelistEntry._meta.db_table} w
        JOIN {CreditLimit._meta.db_table} l ON l.id = w.credit_limit_id
        JOIN {Farmer._meta.db_table} f ON f.id = w.farmer_id
        WHERE w.program_id = %(program)s AND l.status = %(active)s AND l.expires_on > %(today)s
          AND NOT EXISTS (SELECT 1 FROM {entry_table} e WHERE e.whitelist_entry_id = w.id)
          AND NOT EXISTS (
              SELECT 1 FROM {entry_table} e WHERE e.outreach_list_id = %(list)s AND e.farmer_id = w.farmer_id
          )
        ORDER BY w.farmer_id, w.id DESC
    """  # the table names are the models' own; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(
            statement,
            {
                "list": outreach_list.pk,
                "anchor": program.anchor_id,
                "node": outreach_list.owner_node_id,
                "program": program.pk,
                "active": CreditLimit.Status.ACTIVE.value,
                "today": today,
            },
        )
        return int(cursor.rowcount)


def _mark_drawn(today: dt.date, lists: QuerySet[OutreachList] | None) -> dict[int, int]:
    """Entries of farmers with a loan disbursed on or after the day they joined their list become ``drew``."""
    loans = Loan.objects.filter(farmer_id=OuterRef("farmer_id"), disbursed_on__gte=OuterRef("added_on"))
    pending = ListEntry.objects.filter(farmer__isnull=False, stage__lt=Stage.DREW).filter(Exists(loans))
    if lists is not None:
        pending = pending.filter(outreach_list__in=lists)
    first_loan = loans.order_by().values("farmer_id").annotate(first=Min("disbursed_on")).values("first")
    per_list: dict[int, int] = {}
    for list_id in sorted(set(pending.values_list("outreach_list_id", flat=True))):
        per_list[list_id] = pending.filter(outreach_list_id=list_id).update(
            stage=Stage.DREW, drew_on=Subquery(first_loan)
        )
    return per_list


# --- lists from files -----------------------------------------------------------------------------------------


def _refuse_rows(filename: str, errors: list[dict[str, Any]]) -> DomainError:
    errors.sort(key=lambda error: (error["row"], error["column"]))
    return DomainError(
        ErrorCode.FILE_REJECTED,
        _("%(file)s was not loaded: %(count)d rows have errors, and nothing of the file was kept.")
        % {"file": filename, "count": len({error["row"] for error in errors})},
        errors=errors[:MAX_ERRORS_LISTED],
    )


def _check_owner(actor: User, owner_node: OrgNode, owner_user: User | None) -> None:
    if not assignable_nodes(actor).filter(pk=owner_node.pk).exists():
        raise DomainError(
            ErrorCode.OUTSIDE_SUBTREE, _("The owner node must be in your part of the organisation."), status=403
        )
    if owner_user is not None and not (
        owner_user.org_node_id is not None
        and OrgNode.objects.filter(pk=owner_user.org_node_id, path__startswith=owner_node.path).exists()
    ):
        raise DomainError(ErrorCode.OUTSIDE_SUBTREE, _("The owner must work at the owner node or below it."))


def outreach_list_import(
    *,
    kind: str,
    name: str,
    owner_node: OrgNode,
    content: bytes | IO[bytes],
    filename: str,
    actor: User,
    owner_user: User | None = None,
) -> OutreachList:
    """A list from a file (经营快贷's pre-approved customers, or the merchants), kept whole or refused whole."""
    with files_kept_only_on_commit():
        return _outreach_list_import(
            kind=kind,
            name=name,
            owner_node=owner_node,
            owner_user=owner_user,
            content=content,
            filename=filename,
            actor=actor,
        )


@transaction.atomic
def _outreach_list_import(
    *,
    kind: str,
    name: str,
    owner_node: OrgNode,
    owner_user: User | None,
    content: bytes | IO[bytes],
    filename: str,
    actor: User,
) -> OutreachList:
    require_role(actor, *LIST_MANAGE_ROLES)
    if kind not in IMPORTED_KINDS:
        raise DomainError(ErrorCode.INVALID_KIND, _("Only a pre-approved list or a merchant list comes from a file."))
    name = name.strip()
    if not name:
        raise DomainError(ErrorCode.NAME_REQUIRED, _("Give the list a name."), field="name")
    _check_owner(actor, owner_node, owner_user)
    today = business_date_get()
    reader = importers.preapproved_rows if kind == OutreachList.Kind.PREAPPROVED else importers.merchant_rows
    table = reader(content, filename, today=today)
    nodes = {node.code: node for node in OrgNode.objects.filter(path__startswith=owner_node.path)}
    for row in table.rows:
        if row["outlet"] and row["outlet"] not in nodes:
            table.error(
                row["row"], "outlet", ErrorCode.UNKNOWN_ORG_NODE, importers.row_error_detail(ErrorCode.UNKNOWN_ORG_NODE)
            )
    if table.errors:
        raise _refuse_rows(filename, table.errors)
    stored = stored_file_create(content=content, name=filename, uploaded_by=actor)
    outreach_list = OutreachList.objects.create(
        name=name[:100],
        kind=kind,
        owner_node=owner_node,
        owner_user=owner_user,
        list_date=today,
        file=stored,
        sha256=stored.sha256,
        created_by=actor,
    )
    ListEntry.objects.bulk_create(
        ListEntry(
            outreach_list=outreach_list,
            name=row["name"],
            id_hash=row["id_hash"],
            id_masked=row["id_masked"],
            phone=row["phone"],
            reference=row["reference"],
            amount=row["amount"],
            details=row["details"],
            node=nodes[row["outlet"]] if row["outlet"] else owner_node,
            added_on=today,
        )
        for row in table.rows
    )
    audit_record(
        actor=actor,
        action=AuditAction.OUTREACH_LIST_IMPORT,
        subject=outreach_list,
        kind=kind,
        sha256=stored.sha256,
        entries=len(table.rows),
    )
    return outreach_list


@dataclass(frozen=True)
class MatchResult:
    outreach_list: OutreachList
    clients: int
    matched: int


def private_banking_match(
    *,
    source_list: OutreachList,
    name: str,
    owner_node: OrgNode,
    content: bytes | IO[bytes],
    filename: str,
    actor: User,
    owner_user: User | None = None,
) -> MatchResult:
    """The private-banking team's clients found on ``source_list`` (by the keyed hash of the ID number), as a
    list of their own; the clients not on it are counted and kept nowhere."""
    with files_kept_only_on_commit():
        return _private_banking_match(
            source_list=source_list,
            name=name,
            owner_node=owner_node,
            owner_user=owner_user,
            content=content,
            filename=filename,
            actor=actor,
        )


@transaction.atomic
def _private_banking_match(
    *,
    source_list: OutreachList,
    name: str,
    owner_node: OrgNode,
    owner_user: User | None,
    content: bytes | IO[bytes],
    filename: str,
    actor: User,
) -> MatchResult:
    require_role(actor, *LIST_MANAGE_ROLES)
    if not visible_lists(actor).filter(pk=source_list.pk).exists():
        raise DomainError(ErrorCode.NOT_FOUND, _("No such list."), status=404)
    name = name.strip()
    if not name:
        raise DomainError(ErrorCode.NAME_REQUIRED, _("Give the list a name."), field="name")
    _check_owner(actor, owner_node, owner_user)
    today = business_date_get()
    table = importers.client_rows(content, filename, today=today)
    if table.errors:
        raise _refuse_rows(filename, table.errors)
    clients = {row["id_hash"]: row for row in table.rows}
    found = list(source_list.entries.filter(id_hash__in=list(clients)).order_by("pk"))
    stored = stored_file_create(content=content, name=filename, uploaded_by=actor)
    outreach_list = OutreachList.objects.create(
        name=name[:100],
        kind=OutreachList.Kind.PRIVATE_BANKING,
        owner_node=owner_node,
        owner_user=owner_user,
        source_list=source_list,
        list_date=today,
        file=stored,
        sha256=stored.sha256,
        created_by=actor,
    )
    ListEntry.objects.bulk_create(
        ListEntry(
            outreach_list=outreach_list,
            farmer_id=entry.farmer_id,
            name=entry.name,
            id_hash=entry.id_hash,
            id_masked=entry.id_masked,
            phone=clients[entry.id_hash]["phone"] or entry.phone,
            reference=clients[entry.id_hash]["reference"] or entry.reference,
            region_code=entry.region_code,
            breed=entry.breed,
            anchor_id=entry.anchor_id,
            amount=entry.amount,
            details={**entry.details, "source_entry": entry.pk},
            node=owner_node,
            added_on=today,
        )
        for entry in found
    )
    audit_record(
        actor=actor,
        action=AuditAction.OUTREACH_LIST_MATCH,
        subject=outreach_list,
        source_list=source_list.pk,
        clients=len(clients),
        matched=len(found),
        sha256=stored.sha256,
    )
    return MatchResult(outreach_list, len(clients), len(found))


# --- handing down ---------------------------------------------------------------------------------------------


@transaction.atomic
def entries_assign(
    *,
    entry_ids: Iterable[int],
    actor: User,
    to_node: OrgNode | None = None,
    to_user: User | None = None,
) -> int:
    """Hand entries to a node of the actor's subtree (an outlet, say) or to a person working in it.

    Every entry must sit in the actor's subtree. Given to a person, an entry moves to his node; given to a
    node, it has no assignee until someone there hands it on. Each entry that moves gets a row of history;
    those already where they are sent are left alone. Returns how many moved.
    """
    require_role(actor, *ASSIGN_ROLES)
    if to_user is not None:
        if not assignable_people(actor).filter(pk=to_user.pk).exists():
            raise DomainError(
                ErrorCode.OUTSIDE_SUBTREE, _("You may hand entries only to staff of your part of the organisation.")
            )
        to_node = to_user.org_node
    if to_node is None:
        raise DomainError(ErrorCode.REQUIRED, _("Choose the outlet or the person to hand the entries to."))
    if not assignable_nodes(actor).filter(pk=to_node.pk).exists():
        raise DomainError(
            ErrorCode.OUTSIDE_SUBTREE, _("You may hand entries only to nodes of your part of the organisation.")
        )
    wanted = sorted(set(entry_ids))
    if not wanted:
        raise DomainError(ErrorCode.REQUIRED, _("Choose at least one entry."))
    entries = list(visible_entries(actor).filter(pk__in=wanted).select_for_update().order_by("pk"))
    if len(entries) != len(wanted):
        raise DomainError(
            ErrorCode.OUTSIDE_SUBTREE,
            _("%(count)d of the entries chosen are not in your part of the organisation.")
            % {"count": len(wanted) - len(entries)},
        )
    today = business_date_get()
    to_user_id = to_user.pk if to_user is not None else None
    moving = [entry for entry in entries if (entry.node_id, entry.assignee_id) != (to_node.pk, to_user_id)]
    EntryAssignment.objects.bulk_create(
        EntryAssignment(
            entry=entry,
            from_node_id=entry.node_id,
            to_node=to_node,
            from_user_id=entry.assignee_id,
            to_user=to_user,
            actor=actor,
            business_date=today,
        )
        for entry in moving
    )
    if not moving:
        return 0  # every entry is already there: nothing changed, nothing to record
    ListEntry.objects.filter(pk__in=[entry.pk for entry in moving]).update(node=to_node, assignee=to_user)
    audit_record(
        actor=actor,
        action=AuditAction.LIST_ENTRIES_ASSIGN,
        subject=to_node,
        to_user=to_user_id,
        entries=len(moving),
        lists=sorted({entry.outreach_list_id for entry in moving}),
    )
    return len(moving)


# --- contacts ---------------------------------------------------------------------------------------------------


def _entry_for_contact(entry_id: int, actor: User) -> ListEntry:
    entry = ListEntry.objects.select_for_update().filter(pk=entry_id).first()
    if entry is None:
        raise DomainError(ErrorCode.NOT_FOUND, _("No such entry."), status=404)
    if entry.assignee_id == actor.pk:
        return entry
    if may_assign(actor) and visible_entries(actor).filter(pk=entry.pk).exists():
        return entry
    raise DomainError(ErrorCode.NOT_FOUND, _("No such entry."), status=404)


def _advance(entry: ListEntry, result: str, today: dt.date) -> None:
    entry.stage = max(entry.stage, RESULT_STAGE[result])
    entry.last_result = result
    entry.last_contact_on = today if entry.last_contact_on is None else max(entry.last_contact_on, today)
    if result == ContactOutcome.Result.DREW and entry.drew_on is None:
        entry.drew_on = today


@transaction.atomic
def contact_record(
    *,
    entry: ListEntry,
    actor: User,
    result: str,
    channel: str,
    note: str = "",
) -> ContactOutcome:
    """A contact and what it came to, from the phone in a few taps; the entry's stage moves forward only."""
    if result not in ContactOutcome.Result.values:
        raise DomainError(ErrorCode.INVALID_OUTCOME, _("Choose what the contact came to."), field="result")
    if channel not in ContactOutcome.Channel.values:
        raise DomainError(ErrorCode.INVALID_CHANNEL, _("Choose how the customer was contacted."), field="channel")
    note = note.strip()
    if len(note) > 500:
        raise DomainError(ErrorCode.TOO_LONG, _("The note may be at most 500 characters."), field="note")
    locked = _entry_for_contact(entry.pk, actor)
    today = business_date_get()
    outcome = ContactOutcome.objects.create(
        entry=locked,
        result=result,
        channel=channel,
        note=note,
        contacted_at=timezone.now(),
        business_date=today,
        actor=actor,
    )
    _advance(locked, result, today)
    locked.save(update_fields=["stage", "last_result", "last_contact_on", "drew_on"])
    audit_record(
        actor=actor,
        action=AuditAction.CONTACT_RECORD,
        subject=locked,
        result=result,
        channel=channel,
        outcome=outcome.pk,
    )
    entry.refresh_from_db()
    return outcome


@transaction.atomic
def entry_phone_reveal(*, entry: ListEntry, actor: User) -> str:
    """The full phone number, for the person the entry is assigned to only; every view leaves an audit row."""
    if entry.assignee_id != actor.pk:
        raise DomainError(
            ErrorCode.PERMISSION_DENIED, _("Only the person this customer is assigned to sees the number."), status=403
        )
    audit_record(actor=actor, action=AuditAction.LIST_ENTRY_PHONE_VIEW, subject=entry)
    return entry.phone


# --- 95588 --------------------------------------------------------------------------------------------------------


def entry_reference(entry_id: int) -> str:
    """The number the call list gives an entry and its results file sends back."""
    return f"E{entry_id}"


def call_list_headers() -> list[str]:
    return [
        _("Entry number"),
        _("Name"),
        _("Mobile phone"),
        _("List"),
        _("Amount"),
        _("Node"),
        _("Account manager"),
    ]


@transaction.atomic
def call_list_export(*, entry_ids: Sequence[int] | None, list_id: int | None, actor: User, fmt: str) -> Any:
    """The call list for the 95588 call centre, with full phone numbers: a privileged download, audited.

    ``list_id`` takes a whole list (the entries the actor sees of it), ``entry_ids`` a selection. ``fmt`` is
    ``csv`` (UTF-8 with a BOM, for Excel) or ``xlsx``. The results come back through ``call_results_import``.
    """
    require_role(actor, *LIST_MANAGE_ROLES)
    entries = visible_entries(actor).filter(phone__gt="")
    subject: Any = actor
    if list_id is not None:
        outreach_list = visible_lists(actor).filter(pk=list_id).first()
        if outreach_list is None:
            raise DomainError(ErrorCode.NOT_FOUND, _("No such list."), status=404)
        entries = entries.filter(outreach_list=outreach_list)
        subject = outreach_list
    if entry_ids is not None:
        entries = entries.filter(pk__in=list(entry_ids))
    if list_id is None and entry_ids is None:
        raise DomainError(ErrorCode.REQUIRED, _("Choose a list or entries to call."))
    chosen = list(
        entries.filter(available=True)
        .select_related("outreach_list", "node", "assignee")
        .order_by("outreach_list_id", "pk")
    )
    rows = [
        [
            entry_reference(entry.pk),
            entry.name,
            entry.phone,
            entry.outreach_list.name,
            entry.amount if entry.amount is not None else "",
            entry.node.name,
            str(entry.assignee) if entry.assignee else "",
        ]
        for entry in chosen
    ]
    audit_record(actor=actor, action=AuditAction.CALL_LIST_EXPORT, subject=subject, rows=len(rows), format=fmt)
    filename = f"call-list-{business_date_get():%Y%m%d}.{'xlsx' if fmt == 'xlsx' else 'csv'}"
    if fmt == "xlsx":
        return xlsx_response(filename, call_list_headers(), rows)
    return csv_response(filename, call_list_headers(), rows)


@dataclass(frozen=True)
class CallResultsImport:
    results_file: CallResultsFile
    created: bool


def call_results_import(*, content: bytes | IO[bytes], filename: str, actor: User) -> CallResultsImport:
    """95588's results file as contact outcomes (channel 95588), all or nothing; the same file again (its
    SHA-256) changes nothing and answers with the earlier import."""
    with files_kept_only_on_commit():
        return _call_results_import(content=content, filename=filename, actor=actor)


@transaction.atomic
def _call_results_import(*, content: bytes | IO[bytes], filename: str, actor: User) -> CallResultsImport:
    require_role(actor, *LIST_MANAGE_ROLES)
    digest = sha256_of(content)
    earlier = CallResultsFile.objects.filter(sha256=digest).first()
    if earlier is not None:
        return CallResultsImport(earlier, False)
    table = importers.call_result_rows(content, filename)
    wanted = {row["entry"] for row in table.rows}
    entries = {entry.pk: entry for entry in visible_entries(actor).filter(pk__in=wanted).select_for_update()}
    for row in table.rows:
        if row["entry"] not in entries:
            table.error(
                row["row"], "entry", ErrorCode.UNKNOWN_ENTRY, importers.row_error_detail(ErrorCode.UNKNOWN_ENTRY)
            )
    if table.errors:
        raise _refuse_rows(filename, table.errors)
    today = business_date_get()
    stored = stored_file_create(content=content, name=filename, uploaded_by=actor)
    results_file = CallResultsFile.objects.create(
        name=filename[:255],
        sha256=digest,
        file=stored,
        rows_total=table.total,
        business_date=today,
        imported_by=actor,
    )
    zone = timezone.get_current_timezone()
    ContactOutcome.objects.bulk_create(
        ContactOutcome(
            entry_id=row["entry"],
            result=row["result"],
            channel=ContactOutcome.Channel.CALL_CENTRE,
            note=row["note"],
            contacted_at=timezone.make_aware(row["called_at"], zone),
            business_date=today,
            actor=actor,
            results_file=results_file,
            row=row["row"],
        )
        for row in table.rows
    )
    for row in sorted(table.rows, key=lambda r: r["called_at"]):
        _advance(entries[row["entry"]], row["result"], today)
    ListEntry.objects.bulk_update(list(entries.values()), ["stage", "last_result", "last_contact_on", "drew_on"])
    audit_record(
        actor=actor,
        action=AuditAction.CALL_RESULTS_IMPORT,
        subject=results_file,
        sha256=digest,
        rows=len(table.rows),
        entries=len(entries),
    )
    return CallResultsImport(results_file, True)


def masked_phone(entry: ListEntry) -> str:
    return mask_phone(entry.phone)
