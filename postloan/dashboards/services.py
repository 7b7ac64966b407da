"""Product holdings (综合营销): imported from a file of the core system, or entered on a farmer.

A holding is one row per farmer and product; the opening date kept is the
earliest ever given, so importing the same file twice, or two files in any
order, ends in the same rows (idempotent). Rows are matched to farmers by the
keyed hash of the identity number, and only to farmers the importing user
may see: a number of someone else's customer is refused like an unknown one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.bulk import temp_table_drop, temp_table_load
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.files import files_kept_only_on_commit, stored_file_create
from core.permissions import require_role
from core.roles import Role
from partners.models import Farmer, HoldingImport, Product, ProductHolding, User
from partners.scoping import visible_farmers
from postloan.dashboards.importers import holding_error_detail, read_holdings

HOLDING_ROLES = (Role.ACCOUNT_MANAGER, Role.ADMINISTRATOR)
HOLDING = ProductHolding._meta.db_table
LOOKUP_CHUNK = 10_000  # identity hashes per look-up: a file of 200,000 rows is not one statement of 200,000 parameters


def _farmer_ids(actor: User, hashes: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    mine = visible_farmers(actor)
    for start in range(0, len(hashes), LOOKUP_CHUNK):
        chunk = hashes[start : start + LOOKUP_CHUNK]
        found.update(mine.filter(id_hash__in=chunk).values_list("id_hash", "id"))
    return found


@dataclass(frozen=True)
class UpsertCounts:
    created: int
    updated: int
    unchanged: int


def _upsert(
    rows: list[tuple[int, int, dt.date]], *, source: str, actor: User, record: HoldingImport | None
) -> UpsertCounts:
    """Insert new (farmer, product) pairs; move an opening date back when an earlier one is given."""
    temp_table_load(
        "holding_in",
        "farmer_id bigint, product_id bigint, opened_on date",
        ("farmer_id", "product_id", "opened_on"),
        rows,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), SUM(CASE WHEN h.id IS NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN h.opened_on > i.opened_on THEN 1 ELSE 0 END) "
            f"FROM holding_in i LEFT JOIN {HOLDING} h ON h.farmer_id = i.farmer_id AND h.product_id = i.product_id"
        )
        total, created, updated = (int(value or 0) for value in cursor.fetchone())
        cursor.execute(
            f"INSERT INTO {HOLDING} (farmer_id, product_id, opened_on, source, holding_import_id, recorded_by_id, "
            "created_at) SELECT farmer_id, product_id, opened_on, %s, %s, %s, %s FROM holding_in "
            "ON CONFLICT (farmer_id, product_id) DO UPDATE SET opened_on = excluded.opened_on "
            f"WHERE excluded.opened_on < {HOLDING}.opened_on",
            [source, record.pk if record else None, actor.pk, timezone.now()],
        )
    temp_table_drop("holding_in")
    return UpsertCounts(created=created, updated=updated, unchanged=total - created - updated)


def holdings_import(*, actor: User, content: bytes, filename: str) -> HoldingImport:
    """Import a holdings file: good rows upserted, each refused row reported with its reason.

    The file is read before anything is written; a failure after it was stored takes it back out of storage.
    """
    with files_kept_only_on_commit(), transaction.atomic():
        return _holdings_import(actor=actor, content=content, filename=filename)


def _holdings_import(*, actor: User, content: bytes, filename: str) -> HoldingImport:
    require_role(actor, *HOLDING_ROLES)
    today = business_date_get()
    holdings = read_holdings(content, filename, today=today)
    valid = holdings.valid
    errors = list(holdings.errors)
    products = {code.upper(): pk for code, pk in Product.objects.filter(active=True).values_list("code", "id")}
    farmers = _farmer_ids(actor, sorted(set(valid["id_hash"])))
    rows: list[tuple[int, int, dt.date]] = []
    for row, id_hash, masked, code, opened_on in valid[
        ["row", "id_hash", "id_masked", "product_code", "opened_on"]
    ].itertuples(index=False, name=None):
        if id_hash not in farmers:
            errors.append(_error(row, "id_number", ErrorCode.UNKNOWN_FARMER, masked))
        elif code not in products:
            errors.append(_error(row, "product_code", ErrorCode.UNKNOWN_PRODUCT, code))
        else:
            rows.append((farmers[id_hash], products[code], opened_on))
    errors.sort(key=lambda error: error["row"])
    stored = stored_file_create(content=content, name=filename, uploaded_by=actor)
    record = HoldingImport.objects.create(
        file=stored,
        business_date=today,
        imported_by=actor,
        rows_total=holdings.rows_total,
        rows_refused=len(errors),
        errors=errors,
    )
    if rows:
        counts = _upsert(rows, source=ProductHolding.Source.FILE, actor=actor, record=record)
        record.rows_created, record.rows_updated = counts.created, counts.updated
        record.rows_unchanged = counts.unchanged
        record.save(update_fields=["rows_created", "rows_updated", "rows_unchanged"])
    audit_record(
        actor=actor,
        action=AuditAction.HOLDINGS_IMPORT,
        subject=record,
        sha256=stored.sha256,
        rows=holdings.rows_total,
        created=record.rows_created,
        refused=record.rows_refused,
    )
    return record


def _error(row: int, column: str, code: ErrorCode, value: str) -> dict[str, object]:
    return {"row": int(row), "column": column, "code": code, "detail": holding_error_detail(code), "value": value}


@transaction.atomic
def holding_record(*, actor: User, farmer: Farmer, product: Product, opened_on: dt.date) -> ProductHolding:
    """Record by hand that a farmer holds a product (an earlier date than the one on file wins)."""
    require_role(actor, *HOLDING_ROLES)
    if not visible_farmers(actor).filter(pk=farmer.pk).exists():
        raise DomainError(ErrorCode.PERMISSION_DENIED, _("This farmer is not one of yours."), status=403)
    if not product.active:
        raise DomainError(ErrorCode.UNKNOWN_PRODUCT, holding_error_detail(ErrorCode.UNKNOWN_PRODUCT))
    if opened_on > business_date_get():
        raise DomainError(ErrorCode.FUTURE_DATE, holding_error_detail(ErrorCode.FUTURE_DATE))
    _upsert([(farmer.pk, product.pk, opened_on)], source=ProductHolding.Source.MANUAL, actor=actor, record=None)
    holding = ProductHolding.objects.get(farmer=farmer, product=product)
    audit_record(actor=actor, action=AuditAction.HOLDING_RECORD, subject=holding, opened_on=opened_on)
    return holding
