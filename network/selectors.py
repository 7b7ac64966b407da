"""Reads of targets, visits and trainings, scoped to the viewer's subtree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, Q, QuerySet

from network.models import OutletVisit, SubBranchTarget, TargetChange, TrainingAttendance, TrainingSession, VisitAction
from partners.models import OrgNode, User
from partners.scoping import visible_nodes


def targets_of_quarter(quarter: str) -> dict[int, SubBranchTarget]:
    """Every sub-branch's targets for the quarter, by node id (the whole bank: the ranking compares them all)."""
    return {t.org_node_id: t for t in SubBranchTarget.objects.filter(quarter=quarter)}


def target_history(user: User, quarter: str) -> QuerySet[TargetChange]:
    nodes = visible_nodes(user)
    return (
        TargetChange.objects.filter(target__quarter=quarter, target__org_node__in=nodes)
        .select_related("target__org_node", "changed_by")
        .order_by("-id")
    )


def sub_branches(user: User) -> QuerySet[OrgNode]:
    return visible_nodes(user).filter(kind=OrgNode.Kind.SUB_BRANCH).order_by("path")


def outlets(user: User) -> QuerySet[OrgNode]:
    """The outlets in the viewer's subtree, with their visits and open actions counted."""
    return (
        visible_nodes(user)
        .filter(kind=OrgNode.Kind.OUTLET)
        .select_related("parent")
        .annotate(
            visits=Count("network_visits", distinct=True),
            open_actions=Count(
                "network_visits__actions",
                filter=Q(network_visits__actions__done_on__isnull=True),
                distinct=True,
            ),
        )
        .order_by("path")
    )


def last_ratings(outlet_ids: list[int]) -> dict[int, str]:
    """The rating of each outlet's latest visit."""
    found: dict[int, str] = {}
    rows = OutletVisit.objects.filter(outlet_id__in=outlet_ids).order_by("outlet_id", "-visited_on", "-id")
    for outlet_id, rating in rows.values_list("outlet_id", "rating"):
        found.setdefault(outlet_id, rating)
    return found


def outlet_visits(outlet: OrgNode) -> QuerySet[OutletVisit]:
    return (
        OutletVisit.objects.filter(outlet=outlet)
        .select_related("visitor", "recorded_by")
        .prefetch_related("actions__owner", "actions__done_by")
    )


def outlet_trainings(outlet: OrgNode) -> QuerySet[TrainingSession]:
    """Sessions held for the outlet, and those at a higher level that its staff attended."""
    attended = TrainingAttendance.objects.filter(user__org_node=outlet).values("session_id")
    return (
        TrainingSession.objects.filter(Q(org_node=outlet) | Q(pk__in=attended))
        .select_related("org_node")
        .annotate(
            attendees=Count("attendances", distinct=True),
            feedbacks=Count("attendances", filter=Q(attendances__rating__isnull=False), distinct=True),
            average=Avg("attendances__rating"),
        )
    )


def training_attendances(session: TrainingSession) -> QuerySet[TrainingAttendance]:
    return session.attendances.select_related("user", "user__org_node").order_by("user__username")


def visible_training(user: User) -> QuerySet[TrainingSession]:
    """Sessions held for a node the viewer sees, or that he attended."""
    return TrainingSession.objects.filter(Q(org_node__in=visible_nodes(user)) | Q(attendances__user=user)).distinct()


def open_actions(user: User) -> QuerySet[VisitAction]:
    """The follow-up actions not done yet, at outlets the viewer sees, or owned by him; the earliest due first."""
    return (
        VisitAction.objects.filter(done_on__isnull=True)
        .filter(Q(visit__outlet__in=visible_nodes(user)) | Q(owner=user))
        .select_related("visit__outlet", "owner")
        .order_by("due_on", "id")
    )


@dataclass
class SupportSummary:
    """What the leaders read: visits by rating, actions open and overdue, trainings by level, attendance."""

    since: dt.date
    visits_by_rating: dict[str, int]
    outlets_visited: int
    outlets_total: int
    actions_open: int
    actions_overdue: int
    actions_done: int
    trainings_by_level: dict[str, int]
    attendances: int
    feedbacks: int
    average_rating: Decimal | None
    poor_outlets: list[tuple[OrgNode, dt.date]] = field(default_factory=list)


def support_summary(user: User, since: dt.date, today: dt.date) -> SupportSummary:
    nodes = visible_nodes(user)
    visits = OutletVisit.objects.filter(outlet__in=nodes, visited_on__gte=since, visited_on__lte=today)
    by_rating = dict.fromkeys(OutletVisit.Rating.values, 0)
    for row in visits.values("rating").annotate(n=Count("id")):
        by_rating[row["rating"]] = row["n"]
    actions = VisitAction.objects.filter(visit__outlet__in=nodes)
    counts = actions.aggregate(
        open=Count("id", filter=Q(done_on__isnull=True)),
        overdue=Count("id", filter=Q(done_on__isnull=True, due_on__lt=today)),
        done=Count("id", filter=Q(done_on__isnull=False, done_on__gte=since)),
    )
    sessions = TrainingSession.objects.filter(org_node__in=nodes, held_on__gte=since, held_on__lte=today)
    by_level = dict.fromkeys(TrainingSession.Level.values, 0)
    for row in sessions.values("level").annotate(n=Count("id")):
        by_level[row["level"]] = row["n"]
    attendance = TrainingAttendance.objects.filter(session__in=sessions).aggregate(
        n=Count("id"), feedbacks=Count("id", filter=Q(rating__isnull=False)), average=Avg("rating")
    )
    average = attendance["average"]
    # the outlets whose latest visit in the period rated them poor: where the branch goes back first
    latest: dict[int, tuple[str, dt.date, OrgNode]] = {}
    for visit in visits.select_related("outlet").order_by("outlet_id", "-visited_on", "-id"):
        latest.setdefault(visit.outlet_id, (visit.rating, visit.visited_on, visit.outlet))
    poor = sorted(
        ((outlet, day) for rating, day, outlet in latest.values() if rating == OutletVisit.Rating.POOR),
        key=lambda item: item[0].path,
    )
    return SupportSummary(
        since=since,
        visits_by_rating=by_rating,
        outlets_visited=len(latest),
        outlets_total=nodes.filter(kind=OrgNode.Kind.OUTLET).count(),
        actions_open=counts["open"],
        actions_overdue=counts["overdue"],
        actions_done=counts["done"],
        trainings_by_level=by_level,
        attendances=attendance["n"],
        feedbacks=attendance["feedbacks"],
        average_rating=None if average is None else Decimal(str(average)).quantize(Decimal("0.1")),
        poor_outlets=poor,
    )
