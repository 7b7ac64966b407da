"""Farmers of a whole list at once: insert the new ones, find the known ones, link them to the anchor.

The rows come shaped by the importer (``origination.importers.farmer_table_rows``) and go to the
database through ``core.bulk``: no table is handled here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from core.bulk import copy_frame
from origination.importers import FarmerList, farmer_table_rows
from partners.models import AnchorFarmer, Farmer

FARMER_COLUMNS = (
    "name",
    "id_number",
    "id_hash",
    "id_masked",
    "birth_date",
    "phone",
    "region_code",
    "breed",
    "org_node_id",
    "account_manager_id",
    "created_at",
    "updated_at",
)


def farmers_upsert(
    farmers: FarmerList, *, org_node_id: int, account_manager_id: int | None, today: dt.date
) -> dict[str, int]:
    """Insert the farmers not yet known (by identity hash) and return hash → farmer id for all of them."""
    frame = farmer_table_rows(farmers)
    now = timezone.now()
    constants = {
        "org_node_id": org_node_id,
        "account_manager_id": account_manager_id,
        "created_at": now,
        "updated_at": now,
    }
    table = Farmer._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE intake_farmer (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")
        cursor.execute("ALTER TABLE intake_farmer DROP COLUMN id")
    # Farmers inserted in the order of the identity hash fill the unique
    # index on it (and its pattern-ops twin) page after page, instead of
    # splitting pages all over the tree. The rows come sorted by the importer
    # rather than with ORDER BY, which would sort them again on disk
    # (work_mem is small); the order is only a matter of speed.
    copy_frame("intake_farmer", frame, constants)
    columns = ", ".join(FARMER_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM intake_farmer "
            "ON CONFLICT (id_hash) DO NOTHING RETURNING id_hash, id"
        )
        found = dict(cursor.fetchall())
        if len(found) < len(frame):  # some were known already: look them up (all new: no second pass)
            cursor.execute(f"SELECT f.id_hash, f.id FROM {table} f JOIN intake_farmer i ON i.id_hash = f.id_hash")
            found = dict(cursor.fetchall())
        cursor.execute("DROP TABLE intake_farmer")
    return found


def farmers_link_anchor(*, anchor_id: int, farmer_ids: Iterable[int], on: dt.date) -> None:
    ids = sorted(int(farmer_id) for farmer_id in farmer_ids)  # in farmer order, see farmers_upsert
    with connection.cursor() as cursor:
        # The ids go as one array literal: psycopg2 would spell a list as
        # ARRAY[1, 2, ...], which PostgreSQL parses element by element
        # (0.15 s for 100,000 ids).
        cursor.execute(
            f"INSERT INTO {AnchorFarmer._meta.db_table} (anchor_id, farmer_id, first_recommended_on) "
            "SELECT %s, unnest(%s::bigint[]), %s ON CONFLICT (anchor_id, farmer_id) DO NOTHING",
            [anchor_id, "{" + ",".join(map(str, ids)) + "}", on],
        )
