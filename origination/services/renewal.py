"""Renewal (年审) of limits before they expire: the bank's own list, then the usual way of a batch.

Bank staff pick live limits of one programme that expire within 60 days. The renewal writes a list with the
columns of an anchor's farmer list (stored as every batch's file, with its SHA-256), reads it back with the
same reader, and makes a batch of kind ``renewal`` whose rows each name the limit they renew. The batch then
goes the way of any other: processing (cross-validation on fresh trade data, screening, the limit), submission,
and approval by a second person, which replaces each old limit by its renewal (``services.approval``).

A renewal has no anchor declaration: each row declares the provider's verified orders over the programme's
look-back as of the business date (the bank's own reading stands in for the anchor's), so cross-validation
matches wherever there is trade data and finds ``no_trade_data`` where the farmer stopped trading. The
recommended amount is the limit in force; the name, phone, score, customer code and breed are those of the
farmer's latest row in the programme (his farmer record when he has none, with the programme's minimum score,
which neither refuses nor favours him: the screening's events still do).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.files import files_kept_only_on_commit, sha256_of, stored_file_create
from core.money import ZERO
from core.permissions import require_role
from core.roles import Role
from origination.expiring import farmers_in_open_batches, renewal_window
from origination.importers import read_farmer_list
from origination.models import Batch, BatchRow, CreditLimit
from origination.services.intake import batch_open, batch_rows_insert
from partners.models import Program, User
from partners.services.agreements import refuse_if_agreement_lapsed
from risk.limits import lookback_window
from risk.models import TradeRecord

RENEWAL_ROLES = (Role.ACCOUNT_MANAGER, Role.RISK_APPROVER)
# The headers of an anchor's farmer list (origination.importers.FARMER_COLUMNS), in its order.
LIST_HEADER = (
    "姓名",
    "身份证号",
    "手机号",
    "推荐金额",
    "近12个月订单金额",
    "打分卡得分",
    "客户编号",
    "地区代码",
    "养殖品种",
)


def renewal_batch_create(*, program: Program, limits: Sequence[CreditLimit], actor: User) -> Batch:
    """A renewal batch for ``limits`` (all of ``program``), or a refusal naming each limit that may not be renewed."""
    require_role(actor, *RENEWAL_ROLES)
    limit_ids = sorted({limit.pk for limit in limits})
    if not limit_ids:
        raise DomainError(ErrorCode.NOT_RENEWABLE, _("Choose at least one limit to renew."))
    today = business_date_get()
    # The list's file is written to storage with the rows: a failure takes both back.
    with files_kept_only_on_commit(), transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)
        if program.status == Program.Status.SUSPENDED:
            raise DomainError(
                ErrorCode.PROGRAM_SUSPENDED,
                _("The programme %(name)s is suspended: no limit of it is renewed.") % {"name": program.name},
            )
        # A renewal is a new batch: a lapsed cooperation agreement or guarantee contract stops it too.
        refuse_if_agreement_lapsed(program, today)
        locked = list(
            CreditLimit.objects.select_for_update(of=("self",))
            .select_related("farmer")
            .filter(pk__in=limit_ids)
            .order_by("pk")
        )
        _refuse_unrenewable(program, locked, today)
        return _batch_write(program, locked, actor, today)


def _refuse_unrenewable(program: Program, limits: list[CreditLimit], today: dt.date) -> None:
    first, last = renewal_window(today)
    held = farmers_in_open_batches(program.pk, [limit.farmer_id for limit in limits])
    seen: set[int] = set()
    refusals: list[str] = []
    for limit in limits:
        name = {"limit": limit.pk, "farmer": limit.farmer.name}
        if limit.program_id != program.pk:
            refusals.append(_("limit %(limit)s (%(farmer)s) is not of this programme") % name)
        elif limit.status not in CreditLimit.LIVE_STATUSES:
            refusals.append(_("limit %(limit)s (%(farmer)s) is no longer in force") % name)
        elif not first <= limit.expires_on <= last:
            refusals.append(
                _("limit %(limit)s (%(farmer)s) expires on %(date)s, not within the next %(days)s days")
                % {**name, "date": limit.expires_on.isoformat(), "days": (last - today).days}
            )
        elif limit.farmer_id in held:
            refusals.append(
                _("limit %(limit)s (%(farmer)s): the farmer is already in open batch %(batch)s")
                % {**name, "batch": held[limit.farmer_id]}
            )
        elif limit.farmer_id in seen:
            refusals.append(_("limit %(limit)s (%(farmer)s): another limit of the same farmer is chosen") % name)
        seen.add(limit.farmer_id)
    if refusals:
        raise DomainError(
            ErrorCode.NOT_RENEWABLE,
            _("These limits cannot be renewed: %(list)s.") % {"list": "; ".join(refusals)},
            limits=[limit.pk for limit in limits],
        )


def _batch_write(program: Program, limits: list[CreditLimit], actor: User, today: dt.date) -> Batch:
    sequence = Batch.objects.filter(program=program, kind=Batch.Kind.RENEWAL).count() + 1
    content = _renewal_list(program, limits, today, sequence)
    name = f"续期名单-{program.pk}-{today:%Y%m%d}-{sequence}.csv"
    farmers = read_farmer_list(content, name, today=today)
    if farmers.errors:
        # The data on file no longer passes the list's checks (a phone changed by hand, say): say which.
        rows = sorted({int(error["row"]) for error in farmers.errors})
        raise DomainError(
            ErrorCode.NOT_RENEWABLE,
            _("The data on file of rows %(rows)s of the renewal list do not pass the farmer list's checks.")
            % {"rows": ", ".join(map(str, rows))},
            errors=[{key: error[key] for key in ("row", "column", "code", "detail")} for error in farmers.errors],
        )
    stored = stored_file_create(content=content, name=name, content_type="text/csv", uploaded_by=actor)
    batch = batch_open(
        program=program,
        actor=actor,
        today=today,
        farmer_list=stored,
        sha256=sha256_of(content),
        rows_total=farmers.rows_total,
        rows_valid=farmers.rows_valid,
        kind=Batch.Kind.RENEWAL,
    )
    batch_rows_insert(
        batch=batch, farmers=farmers, farmer_ids={limit.farmer.id_hash: limit.farmer_id for limit in limits}
    )
    # Each row renews its farmer's chosen limit (one per farmer, checked above): one statement for all.
    chosen = CreditLimit.objects.filter(pk__in=[limit.pk for limit in limits], farmer_id=OuterRef("farmer_id"))
    BatchRow.objects.filter(batch=batch).update(renews_id=Subquery(chosen.values("pk")[:1]))
    audit_record(
        actor=actor,
        action=AuditAction.LIMIT_RENEWAL_START,
        subject=batch,
        program=program.pk,
        limits=[limit.pk for limit in limits],
        sha256=batch.farmer_list_sha256,
    )
    return batch


def _renewal_list(program: Program, limits: list[CreditLimit], today: dt.date, sequence: int) -> bytes:
    """The list as an anchor would send it, under a title line that makes each renewal's file its own."""
    verified = _verified_orders(program, [limit.farmer.id_hash for limit in limits], today)
    latest = _latest_rows(program, [limit.farmer_id for limit in limits])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f"年审续期名单 {program.pk}-{today:%Y%m%d}-{sequence}"])
    writer.writerow(LIST_HEADER)
    for limit in limits:
        farmer, row = limit.farmer, latest.get(limit.farmer_id)
        score = row.score if row is not None else program.min_score
        writer.writerow(
            [
                row.name if row is not None else farmer.name,
                farmer.id_number,
                farmer.phone,
                f"{limit.amount:.2f}",
                f"{verified.get(farmer.id_hash, ZERO):.2f}",
                f"{score:.2f}",
                row.customer_code if row is not None else "",
                farmer.region_code or (row.region_code if row is not None else ""),
                farmer.breed or (row.breed if row is not None else ""),
            ]
        )
    return out.getvalue().encode("utf-8")


def _verified_orders(program: Program, id_hashes: list[str], today: dt.date) -> dict[str, Decimal]:
    """The provider's orders of each farmer with the anchor over the programme's look-back, as processing reads them."""
    start, end = lookback_window(today, program.lookback_months)
    totals = (
        TradeRecord.objects.filter(anchor_id=program.anchor_id, id_hash__in=id_hashes, order_date__range=(start, end))
        .values("id_hash")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {item["id_hash"]: item["total"] for item in totals}


def _latest_rows(program: Program, farmer_ids: list[int]) -> dict[int, BatchRow]:
    """Each farmer's latest row in the programme's batches (the newest batch first)."""
    rows = BatchRow.objects.filter(batch__program=program, farmer_id__in=farmer_ids).order_by("farmer_id", "-batch_id")
    return {row.farmer_id: row for row in rows.distinct("farmer_id")}
