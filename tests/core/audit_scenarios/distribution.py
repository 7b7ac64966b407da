"""Audit scenarios of the lists and their contacts (distribution)."""

from __future__ import annotations

from core.audit import AuditAction
from tests.core.audit_scenarios import Act, World, scenario, users


def _whitelisted(world: World) -> object:
    """The world's farmer on his programme's whitelist, the list made and synced."""
    from distribution.services import outreach_list_for_program
    from origination.models import WhitelistEntry

    WhitelistEntry.objects.get_or_create(
        program=world["program"],
        farmer=world["farmer"],
        credit_limit=world["limit"],
        defaults={"added_on": world["limit"].approved_on},
    )
    return outreach_list_for_program(program=world["program"], actor=users(world)["admin"])


def _entry(world: World) -> object:
    from distribution.services import entries_assign

    outreach_list = _whitelisted(world)
    entry = outreach_list.entries.get()  # type: ignore[attr-defined]
    entries_assign(entry_ids=[entry.pk], actor=users(world)["admin"], to_user=users(world)["manager"])
    entry.refresh_from_db()
    return entry


@scenario(AuditAction.OUTREACH_LIST_CREATE)
def _list_create(world: World) -> Act:
    from distribution.services import outreach_list_for_program
    from origination.models import WhitelistEntry

    WhitelistEntry.objects.create(
        program=world["program"],
        farmer=world["farmer"],
        credit_limit=world["limit"],
        added_on=world["limit"].approved_on,
    )
    return lambda: outreach_list_for_program(program=world["program"], actor=users(world)["admin"])


@scenario(AuditAction.WHITELIST_SYNC)
def _whitelist_sync(world: World) -> Act:
    from distribution.services import whitelist_sync
    from origination.models import CreditLimit

    _whitelisted(world)
    CreditLimit.objects.filter(pk=world["limit"].pk).update(status=CreditLimit.Status.FROZEN)
    return lambda: whitelist_sync(program_id=world["program"].pk)


@scenario(AuditAction.OUTREACH_LIST_IMPORT)
def _list_import(world: World) -> Act:
    from distribution.models import OutreachList
    from distribution.services import outreach_list_import
    from tests.distribution.files import preapproved_csv

    admin = users(world)["admin"]
    return lambda: outreach_list_import(
        kind=OutreachList.Kind.PREAPPROVED,
        name="经营快贷预授信",
        owner_node=admin.org_node,
        content=preapproved_csv(),
        filename="快贷.csv",
        actor=admin,
    )


@scenario(AuditAction.OUTREACH_LIST_MATCH)
def _list_match(world: World) -> Act:
    from distribution.services import private_banking_match
    from tests.distribution.files import client_csv

    outreach_list = _whitelisted(world)
    admin = users(world)["admin"]
    content = client_csv([("胡磊涛", world["farmer"].id_number)])
    return lambda: private_banking_match(
        source_list=outreach_list,  # type: ignore[arg-type]
        name="私行客户",
        owner_node=admin.org_node,
        content=content,
        filename="私行.csv",
        actor=admin,
    )


@scenario(AuditAction.LIST_ENTRIES_ASSIGN)
def _assign(world: World) -> Act:
    from distribution.services import entries_assign

    outreach_list = _whitelisted(world)
    entry = outreach_list.entries.get()  # type: ignore[attr-defined]
    return lambda: entries_assign(entry_ids=[entry.pk], actor=users(world)["admin"], to_user=users(world)["manager"])


@scenario(AuditAction.CONTACT_RECORD)
def _contact(world: World) -> Act:
    from distribution.services import contact_record

    entry = _entry(world)
    return lambda: contact_record(
        entry=entry,  # type: ignore[arg-type]
        actor=users(world)["manager"],
        result="interested",
        channel="call",
        note="下周来网点",
    )


@scenario(AuditAction.LIST_ENTRY_PHONE_VIEW)
def _phone_view(world: World) -> Act:
    from distribution.services import entry_phone_reveal

    entry = _entry(world)
    return lambda: entry_phone_reveal(entry=entry, actor=users(world)["manager"])  # type: ignore[arg-type]


@scenario(AuditAction.CALL_LIST_EXPORT)
def _call_list(world: World) -> Act:
    from distribution.services import call_list_export

    outreach_list = _whitelisted(world)
    return lambda: call_list_export(
        entry_ids=None,
        list_id=outreach_list.pk,  # type: ignore[attr-defined]
        actor=users(world)["admin"],
        fmt="csv",
    )


@scenario(AuditAction.CALL_RESULTS_IMPORT)
def _call_results(world: World) -> Act:
    from distribution.services import call_results_import
    from tests.distribution.files import results_csv

    entry = _entry(world)
    content = results_csv([(f"E{entry.pk}", "2027-06-15 10:30", "reached", "")])  # type: ignore[attr-defined]
    return lambda: call_results_import(content=content, filename="95588.csv", actor=users(world)["admin"])
