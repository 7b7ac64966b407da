"""Recommendation intake (推荐): an anchor's farmer list becomes a batch, or nothing at all.

The file is read and checked a chunk of rows at a time
(``origination.importers.farmer_list_chunks``), so that memory does not grow
with the list: what can be refused before the rows (the file, its header) is
refused before any write; then each chunk's farmers, rows and row errors are
written as it comes. All the writes (files, batch, farmers, rows, row errors)
are one transaction under a lock on the programme, so two uploads cannot both
recommend the same farmer, and a list refused once read to its end (too many
rows, a row wider than the header, no usable row) or a failure half-way
leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.bulk import copy_columns, copy_frame
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.files import files_kept_only_on_commit, sha256_of, stored_file_create
from core.models import StoredFile
from core.permissions import require_role
from core.roles import Role
from origination.importers import FarmerList, batch_table_rows, farmer_list_chunks, refuse_rows, row_error_detail
from origination.models import Batch, BatchRow, BatchRowError, BatchStatusChange
from origination.services.farmer_bulk import farmers_link_anchor, farmers_upsert
from partners.models import Program, User
from partners.services.agreements import refuse_if_agreement_lapsed

Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class Upload:
    """A file as the user sent it: its bytes, or the open file (binary, seekable), which is then read in chunks."""

    content: bytes | IO[bytes]
    name: str
    content_type: str = ""


ATTACHMENTS = ("scorecard", "recommendation_letter", "guarantee_letter")
UPLOAD_ROLES = (Role.ANCHOR_OPERATOR, Role.ACCOUNT_MANAGER)


def _no_progress(percent: int, stage: str) -> None:
    return None


def batch_status_record(*, batch: Batch, to_status: str, actor: User | None, note: str = "") -> None:
    BatchStatusChange.objects.create(
        batch=batch,
        from_status=batch.status if batch.pk and batch.status != to_status else "",
        to_status=to_status,
        actor=actor,
        business_date=business_date_get(),
        note=note,
    )
    batch.status = to_status


def _refuse_if_suspended(program: Program) -> None:
    if program.status == Program.Status.SUSPENDED:
        raise DomainError(
            ErrorCode.PROGRAM_SUSPENDED,
            _("The programme %(name)s is suspended: it takes no new recommendations.") % {"name": program.name},
        )


def _refuse_duplicate_file(program: Program, digest: str) -> None:
    first = Batch.objects.filter(program=program, farmer_list_sha256=digest).order_by("id").first()
    if first is not None:
        raise DomainError(
            ErrorCode.DUPLICATE_FILE,
            _("This farmer list was already uploaded to this programme as batch %(batch)s.") % {"batch": first.pk},
            status=409,
            batch=first.pk,
        )


def batch_upload_refusals(*, program: Program, actor: User, digest: str) -> None:
    """Refuse, in this order, an upload no reading of the file could make acceptable.

    The uploader's right, the programme's status and a list already uploaded
    (``digest``: the list's SHA-256), checked before the file is read.
    """
    require_role(actor, *UPLOAD_ROLES)
    if actor.role == Role.ANCHOR_OPERATOR and not actor.is_superuser and actor.anchor_id != program.anchor_id:
        raise DomainError(ErrorCode.PERMISSION_DENIED, _("You may upload only for your own enterprise."), status=403)
    _refuse_if_suspended(program)
    refuse_if_agreement_lapsed(program, business_date_get())
    _refuse_duplicate_file(program, digest)


def batch_upload(
    *,
    program: Program,
    actor: User,
    farmer_list: Upload,
    scorecard: Upload | None = None,
    recommendation_letter: Upload | None = None,
    guarantee_letter: Upload | None = None,
    progress: Progress = _no_progress,
) -> Batch:
    digest = sha256_of(farmer_list.content)
    batch_upload_refusals(program=program, actor=actor, digest=digest)
    today = business_date_get()

    progress(10, _("Reading the file"))
    # What can be refused before the rows (the file, its header) is refused here, before any write.
    chunks = farmer_list_chunks(farmer_list.content, farmer_list.name, today=today)
    progress(50, _("Saving"))
    try:
        # The files are written to storage as the rows are: a failure takes both back.
        with files_kept_only_on_commit(), transaction.atomic():
            attachments = _given(scorecard, recommendation_letter, guarantee_letter)
            batch = _write(program, actor, farmer_list, digest, chunks, today, attachments)
    except IntegrityError:
        # Another upload of the same file won the race for the unique constraint.
        _refuse_duplicate_file(program, digest)
        raise
    progress(100, _("Done"))
    return batch


def _given(*uploads: Upload | None) -> dict[str, Upload]:
    return {name: upload for name, upload in zip(ATTACHMENTS, uploads, strict=True) if upload is not None}


@dataclass
class _Refused:
    """The refused cells of a list so far, kept small (no row as sent) for a refusal of the whole list."""

    cells: list[tuple[int, str, str, int | None]] = field(default_factory=list)  # row, column, code, holder batch

    def add(self, errors: list[dict[str, Any]]) -> None:
        self.cells.extend((e["row"], e["column"], e["code"], e.get("batch")) for e in errors)

    def refusal(self, filename: str) -> DomainError:
        details: dict[str, str] = {}
        errors = []
        for row, column, code, holder in self.cells:
            if code not in details:
                details[code] = row_error_detail(code)
            error: dict[str, Any] = {"row": row, "column": column, "code": code, "detail": details[code]}
            if holder is not None:
                error["batch"] = holder
            errors.append(error)
        refusal = DomainError(
            ErrorCode.NO_VALID_ROWS,
            _("No row of %(file)s can be used: see the reason for each row.") % {"file": filename},
            errors=[{key: error[key] for key in ("row", "column", "code", "detail")} for error in errors],
        )
        # The page's copy adds the batch that holds a farmer already recommended. Not the rows as sent:
        # a refused list is kept nowhere, its identity numbers included.
        refusal.report = errors
        return refusal


def _write(
    program: Program,
    actor: User,
    farmer_list: Upload,
    digest: str,
    chunks: Iterator[FarmerList],
    today: dt.date,
    attachments: dict[str, Upload],
) -> Batch:
    """The batch, then each chunk of the list as it is read: its farmers, rows and row errors.

    The rows are written as they come (one chunk in memory at a time), inside the caller's
    transaction: a list refused only once it has been read to its end (too many rows, rows wider
    than the header, no row usable) takes back what its first chunks wrote.
    """
    program = Program.objects.select_for_update().get(pk=program.pk)
    _refuse_if_suspended(program)
    stored = stored_file_create(
        content=farmer_list.content,
        name=farmer_list.name,
        content_type=farmer_list.content_type,
        uploaded_by=actor,
    )
    files = {
        name: stored_file_create(content=up.content, name=up.name, content_type=up.content_type, uploaded_by=actor)
        for name, up in attachments.items()
    }
    batch = batch_open(
        program=program,
        actor=actor,
        today=today,
        farmer_list=stored,
        sha256=digest,
        rows_total=0,
        rows_valid=0,
        attachments=files,
    )
    rows_total = rows_valid = 0
    refused: _Refused | None = _Refused()  # needed only while no row is usable
    for chunk in chunks:
        farmers = _refuse_already_recommended(program, batch, chunk)
        rows_total += farmers.rows_total
        rows_valid += farmers.rows_valid
        if refused is not None:
            refused = None if rows_valid else refused
            if refused is not None:
                refused.add(farmers.errors)
        if farmers.rows_valid:
            farmer_ids = farmers_upsert(
                farmers, org_node_id=program.org_node_id, account_manager_id=program.manager_id, today=today
            )
            farmers_link_anchor(anchor_id=program.anchor_id, farmer_ids=list(farmer_ids.values()), on=today)
            _rows_insert(batch, farmers, farmer_ids)
        _errors_insert(batch, farmers.errors)
    if refused is not None:
        raise refused.refusal(farmer_list.name)
    batch.rows_total, batch.rows_valid = rows_total, rows_valid
    batch.save(update_fields=["rows_total", "rows_valid"])
    audit_record(
        actor=actor,
        action=AuditAction.BATCH_UPLOAD,
        subject=batch,
        sha256=digest,
        rows=rows_total,
        valid=rows_valid,
    )
    return batch


def _refuse_already_recommended(program: Program, batch: Batch, farmers: FarmerList) -> FarmerList:
    """The chunk with its farmers already in another open batch of the programme refused."""
    hashes = farmers.id_hashes
    if not hashes:
        return farmers
    with connection.cursor() as cursor:
        # The hashes go as one array literal (see farmers_link_anchor); the programme is locked.
        cursor.execute(
            f"SELECT r.id_hash, r.batch_id FROM {BatchRow._meta.db_table} r "
            f"JOIN {Batch._meta.db_table} b ON b.id = r.batch_id "
            "WHERE b.program_id = %s AND b.status = ANY(%s) AND b.id <> %s AND r.id_hash = ANY(%s::text[])",
            [program.pk, list(Batch.OPEN_STATUSES), batch.pk, "{" + ",".join(sorted(hashes)) + "}"],
        )
        open_batches = dict(cursor.fetchall())
    return refuse_rows(farmers, set(open_batches), ErrorCode.ALREADY_RECOMMENDED, batches=open_batches)


def batch_open(
    *,
    program: Program,
    actor: User,
    today: dt.date,
    farmer_list: StoredFile,
    sha256: str,
    rows_total: int,
    rows_valid: int,
    kind: str = Batch.Kind.RECOMMENDATION,
    attachments: dict[str, StoredFile] | None = None,
) -> Batch:
    """A new batch of a list read and checked, recorded as uploaded and then validated (its rows come next)."""
    batch = Batch(
        program=program,
        kind=kind,
        submitted_on=today,
        farmer_list=farmer_list,
        farmer_list_sha256=sha256,
        rows_total=rows_total,
        rows_valid=rows_valid,
        uploaded_by=actor,
        **(attachments or {}),
    )
    batch.save()
    batch_status_record(batch=batch, to_status=Batch.Status.UPLOADED, actor=actor)
    batch_status_record(batch=batch, to_status=Batch.Status.VALIDATED, actor=actor)
    batch.save(update_fields=["status"])
    return batch


ROW_COLUMNS = (
    "batch_id",
    "row",
    "farmer_id",
    "name",
    "id_hash",
    "id_masked",
    "phone",
    "recommended_amount",
    "declared_orders_12m",
    "score",
    "customer_code",
    "region_code",
    "breed",
    "validation",
    "trade_count",
    "granted_elsewhere",
    "bound_by",
    "decision",
    "decision_reason",
    "screening",
    "screening_reasons",
    "screening_evidence",
)


def _rows_insert(batch: Batch, farmers: FarmerList, farmer_ids: dict[str, int]) -> None:
    constants: dict[str, Any] = {
        "batch_id": batch.pk,
        "validation": "",
        "trade_count": 0,
        "granted_elsewhere": 0,
        "bound_by": "",
        "decision": BatchRow.Decision.PENDING,
        "decision_reason": "",
        "screening": "",
        "screening_reasons": "{}",
        "screening_evidence": "[]",
    }
    copy_frame(BatchRow._meta.db_table, batch_table_rows(farmers, farmer_ids), constants)


def batch_rows_insert(*, batch: Batch, farmers: FarmerList, farmer_ids: dict[str, int]) -> None:
    """The kept rows of a list read by ``read_farmer_list`` as the batch's rows, the way an upload writes them
    (``farmer_ids``: identity hash → farmer id). The renewal (``origination.services.renewal``) writes its own
    list's rows through it, inside its own transaction."""
    _rows_insert(batch, farmers, farmer_ids)


def _errors_insert(batch: Batch, errors: list[dict[str, Any]]) -> None:
    if not errors:
        return
    # A list with many bad rows has tens of thousands of errors: COPY them
    # too, with "original" encoded as the JSONField would encode it.
    encoder = getattr(BatchRowError._meta.get_field("original"), "encoder", None)
    columns = {
        "row": [error["row"] for error in errors],
        "column": [error["column"] for error in errors],
        "code": [error["code"] for error in errors],
        "detail": [str(error["detail"]) for error in errors],
        "original": [json.dumps(error["original"], cls=encoder) for error in errors],
    }
    copy_columns(BatchRowError._meta.db_table, columns, {"batch_id": batch.pk})
