"""The lists' services: the whitelist kept in step, lists from files, handing down, contacts, 95588."""

from __future__ import annotations

import pytest

from core.audit import AuditAction
from core.errors import DomainError
from core.models import AuditEvent
from distribution.models import CallResultsFile, ContactOutcome, EntryAssignment, ListEntry, OutreachList, Stage
from distribution.selectors import funnel
from distribution.services import (
    call_list_export,
    call_results_import,
    contact_record,
    entries_assign,
    entry_phone_reveal,
    outreach_list_import,
    private_banking_match,
    whitelist_sync,
)
from origination.models import CreditLimit
from tests.distribution.files import client_csv, merchant_csv, preapproved_csv, results_csv
from tests.factories import resident_id_with_check

pytestmark = pytest.mark.django_db


def test_the_programme_list_holds_the_available_limits_and_the_sync_is_idempotent(lending):
    outreach_list = lending["list"]
    entries = ListEntry.objects.filter(outreach_list=outreach_list)
    assert entries.count() == 2
    assert set(entries.values_list("node_id", flat=True)) == {outreach_list.owner_node_id}
    # the farmer with a loan disbursed on the list's date drew
    assert entries.get(farmer=lending["farmer"]).stage == Stage.DREW

    again = whitelist_sync(program_id=lending["program"].pk)
    assert (again.added, again.unavailable, again.drew) == (0, 0, 0)
    assert entries.count() == 2

    CreditLimit.objects.filter(pk=lending["other_limit"].pk).update(status=CreditLimit.Status.FROZEN)
    assert whitelist_sync().unavailable == 1
    assert not entries.get(farmer=lending["other"]).available
    CreditLimit.objects.filter(pk=lending["other_limit"].pk).update(status=CreditLimit.Status.ACTIVE)
    assert whitelist_sync().available_again == 1
    assert entries.get(farmer=lending["other"]).available


def test_entries_go_down_the_tree_with_their_history_and_only_within_the_subtree(lending):
    org, users = lending["org"], lending["users"]
    entry = ListEntry.objects.get(outreach_list=lending["list"], farmer=lending["other"])
    entries_assign(entry_ids=[entry.pk], actor=users["admin"], to_node=org.sub_a)
    entries_assign(entry_ids=[entry.pk], actor=lending["sub_leader"], to_node=org.outlet_a)
    entries_assign(entry_ids=[entry.pk], actor=users["manager"], to_user=users["manager"])
    entry.refresh_from_db()
    assert (entry.node_id, entry.assignee_id) == (org.outlet_a.pk, users["manager"].pk)
    history = list(EntryAssignment.objects.filter(entry=entry).order_by("id"))
    assert [(h.from_node_id, h.to_node_id) for h in history] == [
        (lending["list"].owner_node_id, org.sub_a.pk),
        (org.sub_a.pk, org.outlet_a.pk),
        (org.outlet_a.pk, org.outlet_a.pk),
    ]
    assert history[-1].to_user_id == users["manager"].pk and history[-1].actor_id == users["manager"].pk

    # an outlet of another sub-branch neither sees it nor may take it
    with pytest.raises(DomainError) as refused:
        entries_assign(entry_ids=[entry.pk], actor=users["manager_b"], to_user=users["manager_b"])
    assert refused.value.code == "outside_subtree"
    # the sub-branch may not send it to another sub-branch's outlet
    with pytest.raises(DomainError) as refused:
        entries_assign(entry_ids=[entry.pk], actor=lending["sub_leader"], to_node=org.outlet_b)
    assert refused.value.code == "outside_subtree"
    assert EntryAssignment.objects.filter(entry=entry).count() == 3


def test_a_contact_moves_the_stage_forward_only(lending):
    users = lending["users"]
    entry = ListEntry.objects.get(outreach_list=lending["list"], farmer=lending["other"])
    entries_assign(entry_ids=[entry.pk], actor=users["admin"], to_user=users["manager"])
    contact_record(entry=entry, actor=users["manager"], result="not_reached", channel="call")
    entry.refresh_from_db()
    assert entry.stage == Stage.CONTACTED
    contact_record(entry=entry, actor=users["manager"], result="fraud", channel="call", note="以为是骗子")
    entry.refresh_from_db()
    assert (entry.stage, entry.last_result) == (Stage.REACHED, "fraud")
    contact_record(entry=entry, actor=users["manager"], result="not_reached", channel="sms")
    entry.refresh_from_db()
    assert entry.stage == Stage.REACHED
    with pytest.raises(DomainError) as refused:
        contact_record(entry=entry, actor=users["manager"], result="maybe", channel="call")
    assert refused.value.code == "invalid_outcome"
    with pytest.raises(DomainError) as refused:
        contact_record(entry=entry, actor=users["manager_b"], result="reached", channel="call")
    assert refused.value.code == "not_found"
    assert ContactOutcome.objects.filter(entry=entry).count() == 3


def test_only_the_assignee_sees_the_phone_and_each_view_is_audited(lending):
    users = lending["users"]
    entry = ListEntry.objects.get(outreach_list=lending["list"], farmer=lending["other"])
    entries_assign(entry_ids=[entry.pk], actor=users["admin"], to_user=users["manager"])
    entry.refresh_from_db()
    assert entry_phone_reveal(entry=entry, actor=users["manager"]) == lending["other"].phone
    assert (
        AuditEvent.objects.filter(action=AuditAction.LIST_ENTRY_PHONE_VIEW, actor_id=users["manager"].pk).count() == 1
    )
    for someone in (users["admin"], users["leader"], users["manager_b"]):
        with pytest.raises(DomainError) as refused:
            entry_phone_reveal(entry=entry, actor=someone)
        assert refused.value.status == 403


def test_a_preapproved_list_keeps_no_identity_number_in_clear(lending):
    admin = lending["users"]["admin"]
    outreach_list = outreach_list_import(
        kind=OutreachList.Kind.PREAPPROVED,
        name="经营快贷",
        owner_node=lending["org"].sub_a,
        content=preapproved_csv(),
        filename="快贷.csv",
        actor=admin,
    )
    entries = list(outreach_list.entries.order_by("reference"))
    assert [e.reference for e in entries] == ["C0001", "C0002"]
    number = resident_id_with_check("51152119750301123")
    assert entries[0].id_masked == number[:4] + "*" * 10 + number[-4:]
    assert len(entries[0].id_hash) == 64
    assert str(entries[1].amount) == "150000.00"
    assert entries[0].details == {"opened_on": "2019-05-01"}
    stored = ListEntry.objects.filter(pk=entries[0].pk).values()[0]
    assert number not in str(stored)


def test_a_bad_preapproved_file_is_refused_whole_with_its_row_numbers(lending):
    admin = lending["users"]["admin"]
    good = resident_id_with_check("51152119750301123")
    content = preapproved_csv(
        [
            ("C0001", "王建国", good, "13800001111", "2019-05-01", "200000", ""),
            ("C0002", "李秀英", "511521198007152240", "13900002222", "2020-01-10", "15万", ""),
            ("C0003", "赵强", resident_id_with_check("51152119850101123"), "12345", "2026-01-10", "-5", "NOPE"),
            ("C0001", "钱多", resident_id_with_check("51152119860101123"), "13700003333", "2018-01-01", "1000", ""),
        ]
    )
    before = OutreachList.objects.count()
    with pytest.raises(DomainError) as refused:
        outreach_list_import(
            kind=OutreachList.Kind.PREAPPROVED,
            name="经营快贷",
            owner_node=lending["org"].sub_a,
            content=content,
            filename="快贷.csv",
            actor=admin,
        )
    assert refused.value.code == "file_rejected"
    found = {(e["row"], e["column"], e["code"]) for e in refused.value.extra["errors"]}
    assert (3, "id_number", "invalid_id_checksum") in found
    assert (4, "phone", "invalid_phone") in found
    assert (4, "opened_on", "date_out_of_range") in found
    assert (4, "amount", "negative_amount") in found
    assert (5, "reference", "duplicate_in_file") in found
    assert OutreachList.objects.count() == before


def test_the_outlet_column_must_name_a_node_of_the_owners_subtree(lending):
    org = lending["org"]
    row = ("C1", "王建国", resident_id_with_check("51152119750301123"), "13800001111", "2019-05-01", "1000")
    with pytest.raises(DomainError) as refused:
        outreach_list_import(
            kind=OutreachList.Kind.PREAPPROVED,
            name="快贷",
            owner_node=org.sub_a,
            content=preapproved_csv([(*row, org.outlet_b.code)]),
            filename="快贷.csv",
            actor=lending["users"]["admin"],
        )
    assert refused.value.extra["errors"][0]["code"] == "unknown_org_node"
    made = outreach_list_import(
        kind=OutreachList.Kind.PREAPPROVED,
        name="快贷",
        owner_node=org.sub_a,
        content=preapproved_csv([(*row, org.outlet_a.code)]),
        filename="快贷.csv",
        actor=lending["users"]["admin"],
    )
    assert made.entries.get().node_id == org.outlet_a.pk


def test_merchants_come_from_a_file_with_their_category(lending):
    admin = lending["users"]["admin"]
    made = outreach_list_import(
        kind=OutreachList.Kind.MERCHANTS,
        name="荷花池市场商户",
        owner_node=lending["org"].sub_a,
        content=merchant_csv([("M001", "老王干货", "13811112222", "专业市场", "荷花池", "", "")]),
        filename="商户.csv",
        actor=admin,
    )
    assert made.entries.get().details == {"category": "market", "market": "荷花池"}
    with pytest.raises(DomainError) as refused:
        outreach_list_import(
            kind=OutreachList.Kind.MERCHANTS,
            name="商户",
            owner_node=lending["org"].sub_a,
            content=merchant_csv([("M002", "小李", "13811112223", "夜市", "九眼桥", "", "")]),
            filename="商户.csv",
            actor=admin,
        )
    assert refused.value.extra["errors"][0] == {
        "row": 2,
        "column": "category",
        "code": "invalid_kind",
        "detail": refused.value.extra["errors"][0]["detail"],
    }
    with pytest.raises(DomainError) as refused:
        outreach_list_import(
            kind=OutreachList.Kind.MERCHANTS,
            name="商户",
            owner_node=lending["org"].sub_a,
            content=b"",
            filename="商户.csv",
            actor=lending["users"]["manager"],
        )
    assert refused.value.code == "permission_denied"


def test_private_banking_clients_are_found_on_a_list_by_their_identity_hash(lending):
    admin = lending["users"]["admin"]
    stranger = resident_id_with_check("51152119900101123")
    match = private_banking_match(
        source_list=lending["list"],
        name="私行客户",
        owner_node=lending["org"].branch,
        content=client_csv([("张小梅", lending["other"].id_number), ("路人", stranger)]),
        filename="私行.csv",
        actor=admin,
    )
    assert (match.clients, match.matched) == (2, 1)
    entry = match.outreach_list.entries.get()
    assert entry.farmer_id == lending["other"].pk and entry.id_hash == lending["other"].id_hash
    assert match.outreach_list.kind == OutreachList.Kind.PRIVATE_BANKING


def test_the_call_list_carries_full_phones_for_privileged_users_only(lending):
    admin = lending["users"]["admin"]
    response = call_list_export(entry_ids=None, list_id=lending["list"].pk, actor=admin, fmt="csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    assert lending["other"].phone in text
    assert AuditEvent.objects.filter(action=AuditAction.CALL_LIST_EXPORT).count() == 1
    with pytest.raises(DomainError) as refused:
        call_list_export(entry_ids=None, list_id=lending["list"].pk, actor=lending["users"]["manager"], fmt="csv")
    assert refused.value.status == 403


def test_call_results_become_outcomes_once_and_a_bad_file_leaves_nothing(lending):
    admin = lending["users"]["admin"]
    entry = ListEntry.objects.get(outreach_list=lending["list"], farmer=lending["other"])
    content = results_csv(
        [
            (f"E{entry.pk}", "2027-06-15 09:00", "未接通", ""),
            (f"E{entry.pk}", "2027-06-15 15:30", "interested", "想了解利率"),
        ]
    )
    first = call_results_import(content=content, filename="95588.csv", actor=admin)
    assert first.created
    entry.refresh_from_db()
    assert (entry.stage, entry.last_result) == (Stage.REACHED, "interested")
    outcomes = ContactOutcome.objects.filter(entry=entry, channel="95588")
    assert outcomes.count() == 2
    again = call_results_import(content=content, filename="again.csv", actor=admin)
    assert not again.created and again.results_file.pk == first.results_file.pk
    assert outcomes.count() == 2

    bad = results_csv([(f"E{entry.pk}", "2027-06-16 09:00", "reached", ""), ("E999999", "2027-13-01", "maybe", "")])
    with pytest.raises(DomainError) as refused:
        call_results_import(content=bad, filename="bad.csv", actor=admin)
    codes = {(e["row"], e["column"], e["code"]) for e in refused.value.extra["errors"]}
    assert codes == {(3, "called_at", "invalid_date"), (3, "result", "invalid_outcome")}
    bad = results_csv([("E999999", "2027-06-16 09:00", "reached", "")])
    with pytest.raises(DomainError) as refused:
        call_results_import(content=bad, filename="bad.csv", actor=admin)
    assert refused.value.extra["errors"][0]["code"] == "unknown_entry"
    assert CallResultsFile.objects.count() == 1 and outcomes.count() == 2


def test_the_funnel_groups_by_node_person_list_anchor_and_kind(lending):
    org, users = lending["org"], lending["users"]
    entry = ListEntry.objects.get(outreach_list=lending["list"], farmer=lending["other"])
    entries_assign(entry_ids=[entry.pk], actor=users["admin"], to_user=users["manager"])
    contact_record(entry=entry, actor=users["manager"], result="declined", channel="visit")
    admin = users["admin"]
    (total,) = funnel(viewer=admin)
    assert (total.whitelisted, total.contacted, total.reached, total.drew) == (2, 2, 2, 1)
    assert str(total.conversion) == "0.5000"
    # the programme is managed at the outlet: its list starts, and stays, there
    assert lending["list"].owner_node_id == org.outlet_a.pk
    by_node = {row.key: row for row in funnel(viewer=admin, by="node")}
    assert list(by_node) == [org.outlet_a.pk] and by_node[org.outlet_a.pk].reached == 2
    by_person = {row.key: row for row in funnel(viewer=admin, by="person")}
    assert by_person[users["manager"].pk].contacted == 1 and by_person[None].whitelisted == 1
    assert funnel(viewer=admin, by="list")[0].key == lending["list"].pk
    assert funnel(viewer=admin, by="anchor")[0].key == lending["program"].anchor_id
    assert funnel(viewer=admin, by="kind")[0].key == "program_whitelist"
    # the outlet sees only what sits in its subtree
    (mine,) = funnel(viewer=users["manager"])
    assert (mine.whitelisted, mine.reached) == (2, 2)
    (elsewhere,) = funnel(viewer=lending["sub_leader"], node=org.sub_b)
    assert elsewhere.whitelisted == 0
    (other_outlet,) = funnel(viewer=users["manager_b"])
    assert other_outlet.whitelisted == 0


def test_a_renewed_limit_keeps_the_farmers_entry_and_the_task_runs_the_sync(lending):
    import datetime as dt
    from decimal import Decimal

    from distribution.tasks import whitelist_sync_task
    from origination.models import WhitelistEntry

    users = lending["users"]
    entry = ListEntry.objects.get(outreach_list=lending["list"], farmer=lending["other"])
    entries_assign(entry_ids=[entry.pk], actor=users["admin"], to_user=users["manager"])
    old = lending["other_limit"]
    CreditLimit.objects.filter(pk=old.pk).update(status=CreditLimit.Status.EXPIRED)
    renewed = CreditLimit.objects.create(
        farmer=lending["other"],
        program=lending["program"],
        amount=Decimal("120000.00"),
        approved_on=old.approved_on,
        expires_on=old.approved_on + dt.timedelta(days=365),
        approved_by=users["approver"],
        renewal_of=old,
    )
    WhitelistEntry.objects.create(
        program=lending["program"], farmer=lending["other"], credit_limit=renewed, added_on=old.approved_on
    )
    result = whitelist_sync_task.delay(lending["program"].pk).get()
    assert result["added"] == 1
    entry.refresh_from_db()
    assert entry.whitelist_entry.credit_limit_id == renewed.pk
    assert (entry.available, str(entry.amount), entry.assignee_id) == (True, "120000.00", users["manager"].pk)
    assert ListEntry.objects.filter(outreach_list=lending["list"], farmer=lending["other"]).count() == 1


def test_a_preapproved_workbook_is_read_like_its_csv(lending):
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["客户号", "姓名", "身份证号", "手机号", "开户日期", "预授信额度"])
    sheet.append(["C9", "周杰", resident_id_with_check("51152119750301123"), "13800009999", "2018-02-01", 50000])
    buffer = io.BytesIO()
    book.save(buffer)
    made = outreach_list_import(
        kind=OutreachList.Kind.PREAPPROVED,
        name="快贷",
        owner_node=lending["org"].sub_a,
        content=buffer.getvalue(),
        filename="快贷.xlsx",
        actor=lending["users"]["admin"],
    )
    entry = made.entries.get()
    assert (entry.reference, entry.phone, str(entry.amount)) == ("C9", "13800009999", "50000.00")
