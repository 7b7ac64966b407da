"""Field research visits (蹲点) with their follow-up actions tracked to done, training by level with feedback, and
the pages that show them: each outlet's page and the leaders' summary."""

import datetime as dt

import pytest
from django.urls import reverse

from core.audit import AuditAction
from core.business_date import business_date_get, business_date_set
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.models import AuditEvent
from core.roles import Role
from network.models import OutletVisit, TrainingAttendance, VisitAction
from network.selectors import open_actions, support_summary
from network.services import (
    ActionInput,
    outlet_visit_record,
    training_feedback_give,
    training_record,
    visit_action_complete,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db
DAY = dt.date(2027, 6, 15)


@pytest.fixture(autouse=True)
def _day(db):
    business_date_set(new_date=DAY, backwards_allowed=True)


def _visit(users, org, *, rating="poor", due=DAY + dt.timedelta(days=10), actor=None):
    return outlet_visit_record(
        outlet=org.outlet_a,
        visited_on=DAY - dt.timedelta(days=2),
        visitor=users["leader"],
        rating=rating,
        findings="客户认为短信是诈骗，网点没有回访",
        actions=[ActionInput("网点主任给白名单客户逐一回访", users["manager"], due)],
        actor=actor or users["leader"],
    )


def test_a_visit_keeps_its_rating_findings_and_actions_with_one_audit_row(users, org):
    visit = _visit(users, org)
    assert (visit.rating, visit.outlet, visit.visitor) == ("poor", org.outlet_a, users["leader"])
    action = visit.actions.get()
    assert (action.owner, action.due_on, action.done_on) == (users["manager"], DAY + dt.timedelta(days=10), None)
    assert AuditEvent.objects.filter(action=AuditAction.OUTLET_VISIT_RECORD, object_id=str(visit.pk)).count() == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"rating": "excellent"}, ErrorCode.INVALID_RATING),
        ({"findings": "  "}, ErrorCode.REQUIRED),
        ({"visited_on": DAY + dt.timedelta(days=1)}, ErrorCode.DATE_IN_FUTURE),
        ({"actions": [ActionInput("回访", None, DAY - dt.timedelta(days=30))]}, ErrorCode.INVALID_DATE),
    ],
)
def test_a_bad_visit_is_refused_and_nothing_is_written(users, org, change, code):
    arguments = {
        "outlet": org.outlet_a,
        "visited_on": DAY,
        "visitor": users["leader"],
        "rating": "good",
        "findings": "运转正常",
        "actions": [],
        "actor": users["leader"],
    }
    for action in change.get("actions", []):
        object.__setattr__(action, "owner", users["manager"])
    arguments.update(change)
    with pytest.raises(DomainError) as refused:
        outlet_visit_record(**arguments)
    assert refused.value.code == code
    assert not OutletVisit.objects.exists()


def test_only_leaders_record_visits_and_only_within_their_subtree(users, org):
    with pytest.raises(DomainError) as refused:
        _visit(users, org, actor=users["manager"])
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    leader_b = make_user("leader_b", Role.BRANCH_MANAGER, org.sub_b)
    with pytest.raises(DomainError) as refused:
        _visit(users, org, actor=leader_b)
    assert refused.value.code == ErrorCode.NOT_FOUND
    assert not OutletVisit.objects.exists()


def test_an_action_is_done_by_its_owner_once_and_overdue_until_then(users, org):
    visit = _visit(users, org, due=DAY - dt.timedelta(days=1))
    action = visit.actions.get()
    assert action.overdue(business_date_get())
    summary = support_summary(users["leader"], DAY - dt.timedelta(days=30), DAY)
    assert (summary.actions_open, summary.actions_overdue, summary.visits_by_rating["poor"]) == (1, 1, 1)
    assert [outlet for outlet, _day in summary.poor_outlets] == [org.outlet_a]
    # another account manager may not close it
    with pytest.raises(DomainError) as refused:
        visit_action_complete(action=action, note="", actor=users["manager_b"])
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    done = visit_action_complete(action=action, note="已回访 12 户", actor=users["manager"])
    assert (done.done_on, done.done_by, done.done_note) == (DAY, users["manager"], "已回访 12 户")
    with pytest.raises(DomainError) as refused:
        visit_action_complete(action=action, note="", actor=users["manager"])
    assert refused.value.code == ErrorCode.ALREADY_DONE
    assert list(open_actions(users["leader"])) == []
    summary = support_summary(users["leader"], DAY - dt.timedelta(days=30), DAY)
    assert (summary.actions_open, summary.actions_overdue, summary.actions_done) == (0, 0, 1)


def test_a_training_takes_its_level_from_the_node_and_only_attendees_give_feedback(users, org):
    session = training_record(
        node=org.sub_a,
        held_on=DAY,
        topic="白名单营销话术",
        trainer="分行普惠部",
        attendees=[users["manager"], users["manager"], users["leader"]],
        actor=users["leader"],
    )
    assert session.level == "sub_branch"
    assert session.attendances.count() == 2  # the same person listed twice attends once
    training_feedback_give(session=session, rating=4, comment="案例实用", actor=users["manager"])
    with pytest.raises(DomainError) as refused:
        training_feedback_give(session=session, rating=5, comment="", actor=users["manager_b"])
    assert refused.value.code == ErrorCode.NOT_ATTENDEE
    with pytest.raises(DomainError) as refused:
        training_feedback_give(session=session, rating=6, comment="", actor=users["leader"])
    assert refused.value.code == ErrorCode.INVALID_RATING
    mine = TrainingAttendance.objects.get(session=session, user=users["manager"])
    assert (mine.rating, mine.comment, mine.feedback_on) == (4, "案例实用", DAY)
    summary = support_summary(users["leader"], DAY - dt.timedelta(days=30), DAY)
    assert summary.trainings_by_level == {"branch": 0, "sub_branch": 1, "outlet": 0}
    assert (summary.attendances, summary.feedbacks, str(summary.average_rating)) == (2, 1, "4.0")


def test_a_training_without_attendees_or_in_the_future_is_refused(users, org):
    for arguments, code in (
        ({"attendees": []}, ErrorCode.REQUIRED),
        ({"held_on": DAY + dt.timedelta(days=1)}, ErrorCode.DATE_IN_FUTURE),
        ({"topic": " "}, ErrorCode.REQUIRED),
    ):
        values = {
            "node": org.outlet_a,
            "held_on": DAY,
            "topic": "反诈识别",
            "trainer": "网点主任",
            "attendees": [users["manager"]],
            "actor": users["leader"],
            **arguments,
        }
        with pytest.raises(DomainError) as refused:
            training_record(**values)
        assert refused.value.code == code


def test_the_outlet_page_shows_visits_actions_and_training_and_records_a_visit(client, users, org):
    visit = _visit(users, org, due=DAY - dt.timedelta(days=1))
    training_record(
        node=org.outlet_a,
        held_on=DAY,
        topic="反诈识别",
        trainer="网点主任",
        attendees=[users["manager"]],
        actor=users["leader"],
    )
    client.force_login(users["leader"])
    url = reverse("network-outlet", args=[org.outlet_a.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-testid="visit-{visit.pk}"' in html
    assert 'data-testid="action-overdue"' in html
    assert "反诈识别" in html
    # record another visit from the page, with one follow-up action
    answer = client.post(
        url,
        {
            "visited_on": "2027-06-14",
            "visitor": str(users["leader"].pk),
            "rating": "good",
            "findings": "回访完成，客户认可",
            "action_1": "推广到其他网点",
            "owner_1": str(users["manager"].pk),
            "due_1": "2027-06-30",
        },
    )
    assert answer.status_code == 302
    assert OutletVisit.objects.filter(rating="good").count() == 1
    assert VisitAction.objects.filter(description="推广到其他网点").exists()
    # an action without its owner is refused on the form, nothing written
    answer = client.post(
        url,
        {
            "visited_on": "2027-06-14",
            "visitor": str(users["leader"].pk),
            "rating": "good",
            "findings": "x",
            "action_1": "无主任务",
        },
    )
    assert answer.status_code == 200
    assert not VisitAction.objects.filter(description="无主任务").exists()


def test_the_owner_marks_his_action_done_from_the_page(client, users, org):
    action = _visit(users, org).actions.get()
    client.force_login(users["manager"])
    answer = client.post(reverse("network-action-done", args=[action.pk]), {"note": "已完成"})
    assert answer.status_code == 302
    action.refresh_from_db()
    assert action.done_on == DAY


def test_an_outlet_outside_the_subtree_is_not_found(client, users, org):
    client.force_login(users["manager_b"])
    assert client.get(reverse("network-outlet", args=[org.outlet_a.pk])).status_code == 404


def test_the_summary_and_the_training_page_render_and_record_a_session(client, users, org):
    _visit(users, org)
    client.force_login(users["leader"])
    page = client.get(reverse("network-support"))
    assert page.status_code == 200
    assert 'data-testid="visits-poor">1<' in page.content.decode()
    answer = client.post(
        reverse("network-support"),
        {
            "node": str(org.branch.pk),
            "held_on": "2027-06-10",
            "topic": "普惠产品政策",
            "trainer": "分行普惠部",
            "attendees": [str(users["manager"].pk), str(users["manager_b"].pk)],
        },
    )
    assert answer.status_code == 302
    training = client.get(answer["Location"])
    assert training.status_code == 200 and "普惠产品政策" in training.content.decode()
    client.force_login(users["manager"])
    answer = client.post(answer["Location"], {"rating": "5", "comment": "很有帮助"})
    assert answer.status_code == 302
    assert TrainingAttendance.objects.get(user=users["manager"]).rating == 5
    assert client.get(reverse("network-outlets")).status_code == 200


def test_an_outlet_shows_the_higher_level_training_its_staff_attended_with_everyone_s_feedback(users, org):
    from network.selectors import outlet_trainings

    session = training_record(
        node=org.branch,
        held_on=DAY,
        topic="普惠政策",
        trainer="分行",
        attendees=[users["manager"], users["manager_b"]],
        actor=users["leader"],
    )
    training_feedback_give(session=session, rating=4, comment="", actor=users["manager"])
    training_feedback_give(session=session, rating=2, comment="", actor=users["manager_b"])
    [shown] = outlet_trainings(org.outlet_a)
    assert (shown.pk, shown.attendees, shown.feedbacks, shown.average) == (session.pk, 2, 2, 3.0)
    assert list(outlet_trainings(org.outlet_b)) == [session]
    # a session nobody of the outlet attended is not the outlet's
    training_record(
        node=org.sub_b,
        held_on=DAY,
        topic="双流专场",
        trainer="支行",
        attendees=[users["manager_b"]],
        actor=users["leader"],
    )
    assert [t.topic for t in outlet_trainings(org.outlet_a)] == ["普惠政策"]


def test_the_owner_of_an_action_opens_its_outlet_page_from_his_list_even_outside_his_subtree(users, org, client):
    client.force_login(users["manager_b"])
    page = reverse("network-outlet", args=[org.outlet_a.pk])
    assert client.get(page).status_code == 404  # not his outlet, nothing of his there
    outlet_visit_record(
        outlet=org.outlet_a,
        visited_on=DAY - dt.timedelta(days=2),
        visitor=users["leader"],
        rating="average",
        findings="东升网点客户经理协助走访",
        actions=[ActionInput("协助天府网点回访白名单客户", users["manager_b"], DAY + dt.timedelta(days=5))],
        actor=users["leader"],
    )
    support = client.get(reverse("network-support")).content.decode()
    assert page in support  # his open action links to the outlet
    response = client.get(page)
    assert response.status_code == 200 and "协助天府网点回访白名单客户" in response.content.decode()
