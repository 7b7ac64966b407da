"""The lists in the browser: the lists and their funnels, a list's entries handed down, an entry, my list."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.business_date import business_date_get
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.permissions import require_role
from core.roles import STAFF_ROLES
from core.uploads import upload_open
from core.views import paginate
from distribution import importers
from distribution.models import ContactOutcome, ListEntry, OutreachList, Stage
from distribution.selectors import (
    ENTRY_FILTERS,
    assignable_nodes,
    assignable_people,
    entries_filtered,
    funnel,
    parse_id,
    visible_entries,
    visible_lists,
    with_effective_stage,
)
from distribution.services import (
    LIST_MANAGE_ROLES,
    call_list_export,
    call_results_import,
    contact_record,
    entries_assign,
    entry_phone_reveal,
    may_assign,
    may_manage_lists,
    outreach_list_import,
    private_banking_match,
    whitelist_sync,
)
from partners.auth import acting_user
from partners.models import Anchor, OrgNode, User

MAX_UPLOAD_BYTES = 50 * 1_048_576
COLUMN_HEADERS = {
    spec.field: spec.aliases[0]
    for columns in (
        importers.PREAPPROVED_COLUMNS,
        importers.MERCHANT_COLUMNS,
        importers.CLIENT_COLUMNS,
        importers.CALL_RESULT_COLUMNS,
    )
    for spec in columns
}
# The few taps of the phone page: each result a button.
QUICK_RESULTS = (
    ContactOutcome.Result.REACHED,
    ContactOutcome.Result.NOT_REACHED,
    ContactOutcome.Result.INTERESTED,
    ContactOutcome.Result.DECLINED,
    ContactOutcome.Result.FRAUD,
    ContactOutcome.Result.DREW,
)


def _staff(request: HttpRequest) -> User:
    user = acting_user(request)
    require_role(user, *STAFF_ROLES)
    return user


def _refusal(request: HttpRequest, exc: DomainError) -> list[dict[str, Any]]:
    messages.error(request, exc.detail)
    return [{**error, "header": COLUMN_HEADERS.get(error["column"], "")} for error in exc.extra.get("errors", [])]


def _upload(request: HttpRequest, default_name: str) -> tuple[Any, str]:
    upload = request.FILES.get("file")
    if upload is None:
        raise DomainError(ErrorCode.FILE_REQUIRED, _("Choose a file."))
    return upload_open(upload, max_bytes=MAX_UPLOAD_BYTES, default_name=default_name)


def _owner_from_post(request: HttpRequest, user: User) -> User | None:
    """The list's owner, if one was chosen: a person of the user's subtree."""
    owner_id = parse_id(request.POST.get("owner_user", ""))
    if owner_id is None:
        return None
    owner = assignable_people(user).filter(pk=owner_id).first()
    if owner is None:
        raise DomainError(ErrorCode.OUTSIDE_SUBTREE, _("Choose someone of your part of the organisation."))
    return owner


def _node_from_post(request: HttpRequest, user: User, name: str = "owner_node") -> OrgNode:
    raw = request.POST.get(name, "")
    node_id = parse_id(raw)
    node = assignable_nodes(user).filter(pk=node_id).first() if node_id is not None else None
    if node is None:
        raise DomainError(ErrorCode.OUTSIDE_SUBTREE, _("Choose a node of your part of the organisation."))
    return node


@login_required
def list_index(request: HttpRequest) -> HttpResponse:
    """名单分发: the lists the user sees with their funnels; for managers the imports and the call centre."""
    user = _staff(request)
    errors: list[dict[str, Any]] = []
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "sync":
                require_role(user, *LIST_MANAGE_ROLES)
                result = whitelist_sync(actor=user)
                messages.success(
                    request,
                    _("Whitelists updated: %(added)d entries added, %(unavailable)d no longer available.")
                    % {"added": result.added, "unavailable": result.unavailable},
                )
            elif action == "import":
                content, name = _upload(request, "list.csv")
                created = outreach_list_import(
                    kind=request.POST.get("kind", ""),
                    name=request.POST.get("name", ""),
                    owner_node=_node_from_post(request, user),
                    owner_user=_owner_from_post(request, user),
                    content=content,
                    filename=name,
                    actor=user,
                )
                messages.success(request, _("List kept: %(count)d entries.") % {"count": created.entries.count()})
                return redirect("distribution-list", created.pk)
            elif action == "match":
                raw = request.POST.get("source_list", "")
                source_id = parse_id(raw)
                source = visible_lists(user).filter(pk=source_id).first() if source_id is not None else None
                if source is None:
                    raise DomainError(ErrorCode.NOT_FOUND, _("Choose the list to match against."))
                content, name = _upload(request, "clients.csv")
                match = private_banking_match(
                    source_list=source,
                    name=request.POST.get("name", ""),
                    owner_node=_node_from_post(request, user),
                    owner_user=_owner_from_post(request, user),
                    content=content,
                    filename=name,
                    actor=user,
                )
                messages.success(
                    request,
                    _("%(matched)d of %(clients)d clients are on the list.")
                    % {"matched": match.matched, "clients": match.clients},
                )
                return redirect("distribution-list", match.outreach_list.pk)
            elif action == "results":
                content, name = _upload(request, "95588.csv")
                imported = call_results_import(content=content, filename=name, actor=user)
                if imported.created:
                    messages.success(
                        request,
                        _("Call results kept: %(rows)d contacts recorded.")
                        % {"rows": imported.results_file.rows_total},
                    )
                else:
                    messages.info(request, _("This results file was imported before: nothing changed."))
            else:
                raise DomainError(ErrorCode.UNKNOWN_ACTION, _("Unknown action."))
        except DomainError as exc:
            errors = _refusal(request, exc)
    lists = visible_lists(user).select_related("owner_node", "owner_user", "program").order_by("-list_date", "-id")
    page = paginate(request, lists, per_page=20)
    shown = [item.pk for item in page]
    by_list = {row.key: row for row in funnel(viewer=user, by="list", list_ids=shown)}
    context = {
        "today": business_date_get(),
        "page": page,
        "rows": [(item, by_list.get(item.pk)) for item in page],
        "total": funnel(viewer=user)[0],
        "by_node": funnel(viewer=user, by="node"),
        "may_manage": may_manage_lists(user),
        "kinds": [(k, label) for k, label in OutreachList.Kind.choices if k in ("preapproved", "merchants")],
        "nodes": assignable_nodes(user),
        "people": assignable_people(user).select_related("org_node"),
        "all_lists": visible_lists(user).order_by("name"),
        "errors": errors,
    }
    return render(request, "distribution/lists.html", context)


@login_required
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One list: its funnel by node and person, its entries with filters, handed down one by one or in bulk."""
    user = _staff(request)
    outreach_list = get_object_or_404(visible_lists(user).select_related("owner_node", "owner_user"), pk=pk)
    entries = entries_filtered(visible_entries(user).filter(outreach_list=outreach_list), request.GET)
    if request.method == "POST":
        try:
            moved = _assign_from_post(request, user, outreach_list)
            messages.success(
                request,
                ngettext("%(count)d entry handed down.", "%(count)d entries handed down.", moved) % {"count": moved},
            )
        except DomainError as exc:
            messages.error(request, exc.detail)
        return HttpResponseRedirect(request.get_full_path())
    filters = {name: request.GET.get(name, "") for name in ENTRY_FILTERS}
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "list": outreach_list,
        "page": paginate(request, entries.select_related("node", "assignee", "anchor").order_by("pk"), per_page=50),
        "matching": entries.count(),
        "filters": filters,
        "query": query.urlencode(),
        "by_node": funnel(viewer=user, by="node", list_ids=[pk]),
        "by_person": funnel(viewer=user, by="person", list_ids=[pk]),
        "total": funnel(viewer=user, list_ids=[pk])[0],
        "nodes": assignable_nodes(user),
        "people": assignable_people(user).select_related("org_node"),
        "anchors": Anchor.objects.filter(pk__in=outreach_list.entries.values("anchor_id")).order_by("name"),
        "stages": Stage.choices,
        "may_assign": may_assign(user),
        "may_manage": may_manage_lists(user),
    }
    return render(request, "distribution/list_detail.html", context)


def _assign_from_post(request: HttpRequest, user: User, outreach_list: OutreachList) -> int:
    if request.POST.get("scope") == "filtered":
        ids = list(
            entries_filtered(visible_entries(user).filter(outreach_list=outreach_list), request.GET).values_list(
                "pk", flat=True
            )
        )
    else:
        ids = [entry_id for value in request.POST.getlist("entry") if (entry_id := parse_id(value)) is not None]
    target = request.POST.get("target", "")
    kind, _sep, raw = target.partition(":")
    target_id = parse_id(raw)
    if kind == "user" and target_id is not None:
        person = assignable_people(user).filter(pk=target_id).first()
        if person is None:
            raise DomainError(ErrorCode.OUTSIDE_SUBTREE, _("Choose someone of your part of the organisation."))
        return entries_assign(entry_ids=ids, actor=user, to_user=person)
    if kind == "node" and target_id is not None:
        node = assignable_nodes(user).filter(pk=target_id).first()
        if node is None:
            raise DomainError(ErrorCode.OUTSIDE_SUBTREE, _("Choose a node of your part of the organisation."))
        return entries_assign(entry_ids=ids, actor=user, to_node=node)
    raise DomainError(ErrorCode.REQUIRED, _("Choose the outlet or the person to hand the entries to."))


@login_required
def call_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The list's call list for 95588 (CSV with BOM, or XLSX): a privileged, audited download."""
    user = _staff(request)
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    return call_list_export(entry_ids=None, list_id=pk, actor=user, fmt=fmt)  # type: ignore[no-any-return]


def _entry_or_404(user: User, pk: int) -> ListEntry:
    entries = visible_entries(user) | ListEntry.objects.filter(assignee=user)
    return get_object_or_404(
        entries.distinct().select_related("outreach_list", "node", "assignee", "anchor", "farmer"), pk=pk
    )


@login_required
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One entry: who has it, its history of assignments and contacts, a contact to record."""
    user = _staff(request)
    entry = _entry_or_404(user, pk)
    context = {
        "entry": entry,
        "assignments": entry.assignments.select_related("from_node", "to_node", "from_user", "to_user", "actor"),
        "outcomes": entry.outcomes.select_related("actor"),
        "results": QUICK_RESULTS,
        "channels": ContactOutcome.Channel.choices,
        "phone": None,
        "is_assignee": entry.assignee_id == user.pk,
    }
    return render(request, "distribution/entry.html", context)


@login_required
@require_POST
def entry_phone(request: HttpRequest, pk: int) -> HttpResponse:
    """The assignee sees the full number (audited) and may tap it to call."""
    user = _staff(request)
    entry = _entry_or_404(user, pk)
    phone = entry_phone_reveal(entry=entry, actor=user)
    if request.headers.get("HX-Request"):
        return render(request, "distribution/_phone.html", {"entry": entry, "phone": phone})
    context = {
        "entry": entry,
        "assignments": entry.assignments.select_related("from_node", "to_node", "from_user", "to_user", "actor"),
        "outcomes": entry.outcomes.select_related("actor"),
        "results": QUICK_RESULTS,
        "channels": ContactOutcome.Channel.choices,
        "phone": phone,
        "is_assignee": True,
    }
    return render(request, "distribution/entry.html", context)


@login_required
@require_POST
def entry_contact(request: HttpRequest, pk: int) -> HttpResponse:
    """A contact's outcome in a few taps; back to where it was recorded from."""
    user = _staff(request)
    entry = _entry_or_404(user, pk)
    try:
        contact_record(
            entry=entry,
            actor=user,
            result=request.POST.get("result", ""),
            channel=request.POST.get("channel", ContactOutcome.Channel.CALL),
            note=request.POST.get("note", ""),
        )
        messages.success(request, _("Contact recorded for %(name)s.") % {"name": entry.name})
    except DomainError as exc:
        messages.error(request, exc.detail)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("distribution-entry", args=[pk])
    return redirect(target)


@login_required
def my_list(request: HttpRequest) -> HttpResponse:
    """我的名单: the entries given to me, a card each, for the phone: call, then record what came of it."""
    user = _staff(request)
    mine = with_effective_stage(ListEntry.objects.filter(assignee=user).select_related("outreach_list", "anchor"))
    stage = request.GET.get("stage", "")
    if stage in {str(value) for value in Stage.values}:
        mine = mine.filter(Q(effective_stage=int(stage)))
    elif stage != "all":
        mine = mine.filter(Q(effective_stage__lt=Stage.DREW))
    page = paginate(request, mine.order_by("effective_stage", "last_contact_on", "pk"), per_page=20)
    for entry in page:
        entry.stage = entry.effective_stage  # the loans table may know better than the stage recorded
    context = {
        "page": page,
        "stage": stage,
        "stages": Stage.choices,
        "results": QUICK_RESULTS,
        "channels": ContactOutcome.Channel.choices,
        "mine": next((row for row in funnel(viewer=user, by="person") if row.key == user.pk), None),
    }
    return render(request, "distribution/my_list.html", context)
