"""The close computes its charges in SQL (``charge_sql``): to the fen what ``interest_charge`` gives."""

from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicing.interest import interest_charge
from servicing.settlement import charge_sql


def _sql_charge(principal_days: Decimal, rate: Decimal) -> Decimal:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {charge_sql('CAST(%(days)s AS NUMERIC(24, 2))', 'CAST(%(rate)s AS NUMERIC(9, 6))')}",
            {"days": principal_days, "rate": rate},
        )
        return Decimal(cursor.fetchone()[0])


@pytest.mark.parametrize(
    ("principal_days", "rate"),
    [
        (Decimal("1800.00"), Decimal("0.001000")),  # exactly half a fen: up
        (Decimal("1799.99"), Decimal("0.001000")),  # just under half a fen: down
        (Decimal("5400.00"), Decimal("0.001000")),  # 0.015: up, not to even
        (Decimal("0.00"), Decimal("0.043500")),
        (Decimal("3000000.00"), Decimal("0.043500")),
        (Decimal("999999999999.99"), Decimal("0.999999")),
        (Decimal("1.00"), Decimal("0.000001")),
    ],
)
def test_the_sql_charge_is_the_python_charge_on_the_edges(db: None, principal_days: Decimal, rate: Decimal) -> None:
    assert _sql_charge(principal_days, rate) == interest_charge(principal_days, rate)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    principal_days=st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2),
    rate=st.decimals(min_value=0, max_value=Decimal("0.999999"), places=6),
)
def test_the_sql_charge_is_the_python_charge(db: None, principal_days: Decimal, rate: Decimal) -> None:
    assert _sql_charge(principal_days, rate) == interest_charge(principal_days, rate)
