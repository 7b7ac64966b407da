"""Times the lists (名单分发) on a programme's whitelist of many farmers: the sync that makes its list, the
sync again (nothing to do), the funnel by node and by person, and handing a tenth of the entries to an outlet.

Each read is printed beside a baseline measured in the same run on the same rows: a plain ``count(*)`` of the
entries and a ``GROUP BY node`` of them, which any funnel must at least read. The database is dropped and made
again (its name must contain "bench")::

    SECRET_KEY=... DATABASE_URL=postgres://postgres@127.0.0.1:5432/scf_dist_bench \\
        .venv/bin/python bench/bench_distribution.py 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchlib import best_of, database_recreate, lending_world_create, setup_django, sql, timed

PASSWORD = "Bench#2027-distribution"  # noqa: S105 - the throw-away login of a benchmark database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("farmers", nargs="?", type=int, default=100_000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/scf_dist_bench")
    os.environ["DATABASE_URL"] = url
    database_recreate(url)
    setup_django()

    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from core.business_date import business_date_set
    from core.masking import mask_id_number, pii_hash
    from distribution.models import ListEntry
    from distribution.selectors import funnel
    from distribution.services import entries_assign, whitelist_sync
    from origination.models import CreditLimit, WhitelistEntry
    from partners.models import Farmer, OrgNode, Program, User

    today = dt.date(2027, 6, 15)
    business_date_set(new_date=today, backwards_allowed=True)
    world = lending_world_create("DB", "dist", PASSWORD, leader=True)
    program = Program.objects.get(pk=world.programs[0])
    approver = User.objects.get(pk=world.approver_id)
    leader = User.objects.get(username="dist_leader")
    outlets = [OrgNode.objects.get(pk=pk) for pk in world.outlets]

    def load() -> None:
        farmers = []
        for i in range(args.farmers):
            number = f"5101041970{i:08d}"
            farmers.append(
                Farmer(
                    name=f"农户{i}",
                    id_number=number,
                    id_hash=pii_hash(number),
                    id_masked=mask_id_number(number),
                    birth_date=dt.date(1970, 1, 1),
                    phone=f"139{i:08d}",
                    region_code="510104",
                    breed="生猪" if i % 2 else "肉鸡",
                    org_node=outlets[i % len(outlets)],
                    account_manager_id=world.managers[i % len(world.managers)],
                )
            )
        Farmer.objects.bulk_create(farmers, batch_size=5000)
        limits = [
            CreditLimit(
                farmer=farmer,
                org_node=farmer.org_node,
                program=program,
                amount=Decimal(50_000 + (i % 50) * 1000),
                approved_on=today,
                expires_on=today + dt.timedelta(days=365),
                approved_by=approver,
            )
            for i, farmer in enumerate(farmers)
        ]
        CreditLimit.objects.bulk_create(limits, batch_size=5000)
        WhitelistEntry.objects.bulk_create(
            (
                WhitelistEntry(program=program, farmer=limit.farmer, credit_limit=limit, added_on=today)
                for limit in limits
            ),
            batch_size=5000,
        )
        sql("ANALYZE")

    load_seconds, _ = timed(load)
    first, made = timed(lambda: whitelist_sync(actor=leader))
    again, unchanged = timed(lambda: whitelist_sync(actor=leader))
    sql("ANALYZE")
    count_seconds, _ = best_of(3, lambda: sql("SELECT count(*) FROM distribution_listentry"))
    group_seconds, _ = best_of(3, lambda: sql("SELECT node_id, count(*) FROM distribution_listentry GROUP BY node_id"))
    total_seconds, (total,) = best_of(3, lambda: funnel(viewer=leader))
    node_seconds, by_node = best_of(3, lambda: funnel(viewer=leader, by="node"))
    tenth = list(ListEntry.objects.order_by("pk").values_list("pk", flat=True)[: max(1, args.farmers // 10)])
    assign_seconds, moved = timed(lambda: entries_assign(entry_ids=tenth, actor=leader, to_node=outlets[0]))
    person_seconds, by_person = best_of(3, lambda: funnel(viewer=leader, by="person"))

    print(f"\nbench_distribution: a whitelist of {args.farmers:,} farmers (loaded in {load_seconds:.1f} s)\n")
    print(f"{'case':<48}{'seconds':>10}{'baseline':>10}{'ratio':>8}  result")
    rows = [
        ("whitelist_sync, first (makes the list)", first, None, f"{made.added:,} added"),
        ("whitelist_sync, again (nothing to do)", again, None, f"{unchanged.added} added"),
        ("funnel total vs count(*)", total_seconds, count_seconds, f"{total.whitelisted:,} whitelisted"),
        ("funnel by node vs GROUP BY node", node_seconds, group_seconds, f"{len(by_node)} nodes"),
        (f"entries_assign of {len(tenth):,} entries", assign_seconds, None, f"{moved:,} moved"),
        ("funnel by person vs GROUP BY node", person_seconds, group_seconds, f"{len(by_person)} people"),
    ]
    for name, seconds, baseline, result in rows:
        ratio = f"{seconds / baseline:>7.1f}x" if baseline else f"{'':>8}"
        base = f"{baseline:>10.3f}" if baseline is not None else f"{'':>10}"
        print(f"{name:<48}{seconds:>10.3f}{base}{ratio}  {result}")
    ok = made.added == args.farmers and unchanged.added == 0 and total.whitelisted == args.farmers
    print("\nPASS" if ok else "\nFAIL: the sync or the funnel counted wrong")
    database_recreate(url, drop_only=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
