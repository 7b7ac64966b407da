"""Network pages: the targets the branch sets, the outlets with their field research and training, and the
leaders' summary of that work."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.business_date import business_date_get
from core.calendar import quarter_label, quarter_of
from core.permissions import require_role
from core.roles import STAFF_ROLES, Role
from core.views import call_service, form_errors_text
from network import selectors
from network.forms import ActionDoneForm, FeedbackForm, TargetForm, TrainingForm, VisitForm
from network.models import OutletVisit, TrainingSession, VisitAction
from network.services import (
    ActionInput,
    may_record_support,
    may_set_targets,
    outlet_visit_record,
    quarter_check,
    target_set,
    training_feedback_give,
    training_record,
    visit_action_complete,
)
from partners.auth import acting_user
from partners.models import OrgNode, User
from partners.scoping import visible_nodes

VIEW_ROLES = tuple(STAFF_ROLES)
HUNDRED = Decimal(100)
SUMMARY_DAYS = 365


def _viewer(request: HttpRequest) -> User:
    user = acting_user(request)
    require_role(user, *VIEW_ROLES)
    return user


def _staff(user: User, node: OrgNode | None = None) -> QuerySet[User]:
    """The bank's staff a visit or a training may name: those in the viewer's subtree, and the viewer."""
    nodes = visible_nodes(user) if node is None else OrgNode.objects.filter(path__startswith=node.path)
    return (
        User.objects.filter(is_active=True, role__in=[role.value for role in STAFF_ROLES])
        .filter(Q(org_node__in=nodes) | Q(pk=user.pk))
        .order_by("username")
    )


def _quarters(today: dt.date) -> list[str]:
    """This quarter, the next, and the four before: the quarters a target is set or read for."""
    start, end = quarter_of(today)
    labels = [quarter_label(end + dt.timedelta(days=1)), quarter_label(today)]
    day = start
    for _i in range(4):
        day = quarter_of(day - dt.timedelta(days=1))[0]
        labels.append(quarter_label(day))
    return labels


@login_required
def targets_page(request: HttpRequest) -> HttpResponse:
    """The sub-branches' targets for a quarter (两增一控), set by the branch; the history of each change."""
    user = _viewer(request)
    today = business_date_get()
    quarters = _quarters(today)
    quarter = request.GET.get("quarter") or request.POST.get("quarter") or quarter_label(today)
    if quarter not in quarters:
        quarter = quarter_check(quarter)  # refuses what is no quarter; an older quarter is still readable
        quarters.append(quarter)
    nodes = list(selectors.sub_branches(user))
    may_set = may_set_targets(user)
    form = TargetForm(request.POST or None, nodes=nodes, initial={"quarter": quarter})
    if request.method == "POST":
        require_role(user, Role.ADMINISTRATOR, Role.BRANCH_MANAGER)
        if form.is_valid():
            done = call_service(
                form,
                lambda: target_set(
                    node=form.chosen_node(),
                    quarter=form.cleaned_data["quarter"],
                    balance_growth=form.cleaned_data["balance_growth"],
                    borrowers_growth=form.cleaned_data["borrowers_growth"],
                    npl_ceiling=(form.cleaned_data["npl_ceiling"] / HUNDRED).quantize(Decimal("0.0001")),
                    reason=form.cleaned_data["reason"],
                    actor=user,
                ),
            )
            if done is not None:
                messages.success(
                    request,
                    _("Targets of %(node)s for %(quarter)s set.")
                    % {"node": done.org_node.name, "quarter": done.quarter},
                )
                return redirect(f"{request.path}?quarter={done.quarter}")
    targets = selectors.targets_of_quarter(quarter)
    rows = [(node, targets.get(node.pk)) for node in nodes]
    context = {
        "quarter": quarter,
        "quarters": quarters,
        "rows": rows,
        "form": form,
        "may_set": may_set,
        "history": selectors.target_history(user, quarter)[:50],
    }
    return render(request, "network/targets.html", context)


@login_required
def outlet_list(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    outlets = list(selectors.outlets(user))
    ratings = selectors.last_ratings([o.pk for o in outlets])
    labels = dict(OutletVisit.Rating.choices)
    rows = [(o, ratings.get(o.pk), labels.get(ratings.get(o.pk, ""), "")) for o in outlets]
    return render(request, "network/outlets.html", {"rows": rows})


def _outlet(user: User, pk: int) -> OrgNode:
    """An outlet the viewer sees, or one where a follow-up action is his: he reads the visit that gave it."""
    outlets = OrgNode.objects.filter(kind=OrgNode.Kind.OUTLET).filter(
        Q(pk__in=visible_nodes(user).values("pk")) | Q(network_visits__actions__owner=user)
    )
    return get_object_or_404(outlets.distinct(), pk=pk)


@login_required
def outlet_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An outlet's page: its field research visits with their actions, and its training."""
    user = _viewer(request)
    outlet = _outlet(user, pk)
    today = business_date_get()
    may_record = may_record_support(user)
    form = VisitForm(
        request.POST or None,
        staff=_staff(user),
        initial={"visited_on": today.isoformat(), "visitor": str(user.pk)},
    )
    if request.method == "POST":
        require_role(user, Role.ADMINISTRATOR, Role.BRANCH_MANAGER, Role.RISK_APPROVER)
        if form.is_valid():
            visit = call_service(
                form,
                lambda: outlet_visit_record(
                    outlet=outlet,
                    visited_on=form.cleaned_data["visited_on"],
                    visitor=form.visitor_user(),
                    rating=form.cleaned_data["rating"],
                    findings=form.cleaned_data["findings"],
                    actions=[ActionInput(text, owner, due) for text, owner, due in form.actions()],
                    actor=user,
                ),
            )
            if visit is not None:
                messages.success(request, _("Visit recorded."))
                return redirect("network-outlet", pk=outlet.pk)
    visits = list(selectors.outlet_visits(outlet))
    context = {
        "outlet": outlet,
        "today": today,
        "visits": visits,
        "trainings": selectors.outlet_trainings(outlet),
        "staff": User.objects.filter(org_node=outlet, is_active=True).order_by("username"),
        "form": form,
        "may_record": may_record,
        "user_pk": user.pk,
    }
    return render(request, "network/outlet.html", context)


@login_required
@require_POST
def action_done(request: HttpRequest, pk: int) -> HttpResponse:
    user = _viewer(request)
    action = get_object_or_404(
        VisitAction.objects.filter(Q(visit__outlet__in=visible_nodes(user)) | Q(owner=user)).select_related("visit"),
        pk=pk,
    )
    form = ActionDoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
    else:
        visit_action_complete(action=action, note=form.cleaned_data["note"], actor=user)
        messages.success(request, _("Action marked done."))
    back = request.POST.get("next", "")
    if back == "support":
        return redirect("network-support")
    return redirect("network-outlet", pk=action.visit.outlet_id)


@login_required
def training_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A training session: its attendees and their feedback; an attendee gives his own here."""
    user = _viewer(request)
    session = get_object_or_404(selectors.visible_training(user).select_related("org_node"), pk=pk)
    attendances = list(selectors.training_attendances(session))
    mine = next((a for a in attendances if a.user_id == user.pk), None)
    initial: dict[str, Any] = {"rating": str(mine.rating) if mine and mine.rating else "5"}
    form = FeedbackForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = call_service(
            form,
            lambda: training_feedback_give(
                session=session, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"], actor=user
            ),
        )
        if done is not None:
            messages.success(request, _("Thank you for your feedback."))
            return redirect("network-training", pk=session.pk)
    context = {"session": session, "attendances": attendances, "mine": mine, "form": form}
    return render(request, "network/training.html", context)


@login_required
def support_summary(request: HttpRequest) -> HttpResponse:
    """The leaders' summary: visits by rating, open and overdue actions, training by level and attendance."""
    user = _viewer(request)
    today = business_date_get()
    may_record = may_record_support(user)
    nodes = list(visible_nodes(user).order_by("path"))
    form = TrainingForm(request.POST or None, nodes=nodes, staff=_staff(user), initial={"held_on": today.isoformat()})
    if request.method == "POST":
        require_role(user, Role.ADMINISTRATOR, Role.BRANCH_MANAGER, Role.RISK_APPROVER)
        if form.is_valid():
            session = call_service(
                form,
                lambda: training_record(
                    node=form.chosen_node(),
                    held_on=form.cleaned_data["held_on"],
                    topic=form.cleaned_data["topic"],
                    trainer=form.cleaned_data["trainer"],
                    attendees=form.attendee_users(),
                    actor=user,
                ),
            )
            if session is not None:
                messages.success(request, _("Training recorded."))
                return redirect("network-training", pk=session.pk)
    since = today - dt.timedelta(days=SUMMARY_DAYS)
    summary = selectors.support_summary(user, since, today)
    trainings = (
        selectors.visible_training(user)
        .filter(held_on__gte=since)
        .select_related("org_node")
        .order_by("-held_on", "-id")[:20]
    )
    context = {
        "today": today,
        "summary": summary,
        "ratings": [(value, label, summary.visits_by_rating[value]) for value, label in OutletVisit.Rating.choices],
        "levels": [(value, label, summary.trainings_by_level[value]) for value, label in TrainingSession.Level.choices],
        "actions": list(selectors.open_actions(user)[:50]),
        "trainings": trainings,
        "form": form,
        "may_record": may_record,
    }
    return render(request, "network/support.html", context)
