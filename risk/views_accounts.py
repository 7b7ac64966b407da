"""The borrowers' settlement accounts in the browser: the core's files imported, and the anchors' own accounts.

Bank staff only: an anchor operator never sees his farmers' bank accounts. Account numbers, identity numbers
and counterparties' names are masked on these pages (``core.masking``): the rows are there to check a
delivery, not to read a farmer's statement.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.error_codes import ErrorCode
from core.errors import DomainError
from core.masking import mask_id_number, mask_name
from core.permissions import require_role
from core.uploads import upload_open
from core.views import paginate
from partners.auth import acting_user
from partners.models import Farmer
from partners.scoping import visible_anchors
from risk.importers import provider_max_bytes
from risk.models_accounts import AccountDelivery, AccountTransaction, AnchorSettlementAccount
from risk.services.accounts import (
    IMPORT_ROLES,
    anchor_account_add,
    anchor_account_remove,
    settlement_accounts_import,
)

SHOWN_ROWS = 100


@login_required
def settlement_accounts(request: HttpRequest) -> HttpResponse:
    """Deliveries so far, a form to import one of the core's files, and the anchors' settlement accounts."""
    user = acting_user(request)
    require_role(user, *IMPORT_ROLES)
    anchors = visible_anchors(user).order_by("name")
    errors: list[Any] = []
    if request.method == "POST":
        action = request.POST.get("action", "import")
        try:
            if action == "add_account":
                anchor = get_object_or_404(anchors, pk=request.POST.get("anchor") or 0)
                anchor_account_add(
                    anchor=anchor,
                    account_no=request.POST.get("account_no", ""),
                    bank_name=request.POST.get("bank_name", ""),
                    actor=user,
                )
                messages.success(request, _("The anchor's settlement account is recorded."))
                return redirect("settlement-accounts")
            if action == "remove_account":
                account = get_object_or_404(
                    AnchorSettlementAccount, pk=request.POST.get("account") or 0, anchor__in=anchors
                )
                anchor_account_remove(account=account, actor=user)
                messages.success(request, _("The account is no longer the anchor's."))
                return redirect("settlement-accounts")
            upload = request.FILES.get("file")
            if upload is None:
                raise DomainError(ErrorCode.FILE_REQUIRED, _("Choose the core system's file."))
            content, name = upload_open(upload, max_bytes=provider_max_bytes(), default_name="core.csv")
            result = settlement_accounts_import(
                kind=request.POST.get("kind", ""), content=content, filename=name, actor=user
            )
            messages.success(
                request,
                _("Imported: %(rows)s rows, %(created)s new, %(duplicates)s already known.")
                % {"rows": result.rows, "created": result.created, "duplicates": result.duplicates},
            )
            return redirect("settlement-account-delivery", pk=result.delivery_id)
        except DomainError as exc:
            messages.error(request, exc.detail)
            errors = exc.extra.get("errors", [])
    accounts = AnchorSettlementAccount.objects.filter(anchor__in=anchors, removed_on=None).select_related("anchor")
    context = {
        "anchors": anchors,
        "errors": errors,
        "accounts": accounts.order_by("anchor__name", "account_no"),
        "page": paginate(request, AccountDelivery.objects.select_related("received_by"), per_page=20),
    }
    return render(request, "risk/settlement_accounts.html", context)


@login_required
def settlement_account_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    """One delivery: its counts and its first rows, masked."""
    require_role(acting_user(request), *IMPORT_ROLES)
    delivery = get_object_or_404(AccountDelivery.objects.select_related("file", "received_by"), pk=pk)
    records: list[Any]
    if delivery.kind == AccountDelivery.Kind.TRANSACTIONS:
        records = list(delivery.transactions.order_by("txn_date", "reference")[:SHOWN_ROWS])
    else:
        records = list(delivery.balances.order_by("balance_date", "account_no")[:SHOWN_ROWS])
    numbers = dict(Farmer.objects.filter(id_hash__in={r.id_hash for r in records}).values_list("id_hash", "id_number"))
    rows = [_row(record, numbers.get(record.id_hash, "")) for record in records]
    return render(request, "risk/settlement_account_delivery.html", {"delivery": delivery, "rows": rows})


def _row(record: Any, id_number: str) -> dict[str, Any]:
    """What a page shows of a record: the borrower and the accounts masked."""
    row: dict[str, Any] = {
        "account": mask_id_number(record.account_no),
        "farmer": mask_id_number(id_number) if id_number else _("not a customer"),
    }
    if isinstance(record, AccountTransaction):
        row.update(
            date=record.txn_date,
            amount=record.amount,
            direction=record.get_direction_display(),
            counterparty=mask_id_number(record.counterparty_account),
            counterparty_name=mask_name(record.counterparty_name),
            reference=record.reference,
            purpose=record.purpose,
        )
    else:
        row.update(date=record.balance_date, amount=record.balance)
    return row
