"""Recommendation intake (推荐): an anchor's farmer list becomes a batch, or nothing at all.

Reading and checking happen before any write. The writes (files, batch,
farmers, rows, row errors) are one transaction under a lock on the
programme, so two uploads cannot both recommend the same farmer and a
failure half-way leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
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
from origination.importers import FarmerList, batch_table_rows, read_farmer_list, refuse_rows
from origination.models import Batch, BatchRow, BatchRowError, BatchStatusChange
from origination.services.farmer_bulk import farmers_link_anchor, farmers_upsert
from partners.models import Program, User
from partners.services.agreements import refuse_if_agreement_lapsed

Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class Upload:
    """A file as the user sent it."""

    content: bytes
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
    farmers = read_farmer_list(farmer_list.content, farmer_list.name, today=today)
    progress(50, _("Saving"))
    try:
        # The files are written to storage as the rows are: a failure takes both back.
        with files_kept_only_on_commit(), transaction.atomic():
            attachments = _given(scorecard, recommendation_letter, guarantee_letter)
            batch = _write(program, actor, farmer_list, digest, farmers, today, attachments)
    except IntegrityError:
        # Another upload of the same file won the race for the unique constraint.
        _refuse_duplicate_file(program, digest)
        raise
    progress(100, _("Done"))
    return batch


def _given(*uploads: Upload | None) -> dict[str, Upload]:
    return {name: upload for name, upload in zip(ATTACHMENTS, uploads, strict=True) if upload is not None}


def _write(
    program: Program,
    actor: User,
    farmer_list: Upload,
    digest: str,
    farmers: FarmerList,
    today: dt.date,
    attachments: dict[str, Upload],
) -> Batch:
    program = Program.objects.select_for_update().get(pk=program.pk)
    _refuse_if_suspended(program)
    open_batches = dict(
        BatchRow.objects.filter(batch__program=program, batch__status__in=Batch.OPEN_STATUSES).values_list(
            "id_hash", "batch_id"
        )
    )
    farmers = refuse_rows(
        farmers, open_batches.keys() & farmers.id_hashes, ErrorCode.ALREADY_RECOMMENDED, batches=open_batches
    )
    if farmers.rows_valid == 0:
        refusal = DomainError(
            ErrorCode.NO_VALID_ROWS,
            _("No row of %(file)s can be used: see the reason for each row.") % {"file": farmer_list.name},
            errors=[{key: error[key] for key in ("row", "column", "code", "detail")} for error in farmers.errors],
        )
        # The page's copy adds the batch that holds a farmer already recommended. Not the rows as sent:
        # a refused list is kept nowhere, its identity numbers included.
        refusal.report = [
            {key: error[key] for key in ("row", "column", "code", "detail", "batch") if key in error}
            for error in farmers.errors
        ]
        raise refusal
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
        farmers=farmers,
        attachments=files,
    )

    farmer_ids = farmers_upsert(
        farmers, org_node_id=program.org_node_id, account_manager_id=program.manager_id, today=today
    )
    farmers_link_anchor(anchor_id=program.anchor_id, farmer_ids=list(farmer_ids.values()), on=today)
    _rows_insert(batch, farmers, farmer_ids)
    _errors_insert(batch, farmers.errors)
    audit_record(
        actor=actor,
        action=AuditAction.BATCH_UPLOAD,
        subject=batch,
        sha256=digest,
        rows=farmers.rows_total,
        valid=farmers.rows_valid,
    )
    return batch


def batch_open(
    *,
    program: Program,
    actor: User,
    today: dt.date,
    farmer_list: StoredFile,
    sha256: str,
    farmers: FarmerList,
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
        rows_total=farmers.rows_total,
        rows_valid=farmers.rows_valid,
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
