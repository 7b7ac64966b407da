"""The outside contract on a fresh install: commands as subprocesses, then the real server through HTTP only.

The test makes a database of its own on the PostgreSQL server of the run (the test database is
only where the server's address comes from), runs ``migrate``, ``createsuperuser``,
``load_org_tree`` and ``create_user`` against it, starts ``runserver`` with Celery in process and
walks one farmer from the anchor's registration to a loan serviced by the close of business.
Nothing is written behind the API's back.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

from tests.factories import resident_id_with_check, uscc_with_check
from tests.processes import database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[1]
BOSS, CHECKER, CLERK, MANAGER = "boss", "checker", "clerk", "zhang"
PASSWORD = "Fresh#Install2027"
START = dt.date(2027, 3, 1)  # the business date the walk starts on (a Monday)
ID_MATCHED = resident_id_with_check("51152119700819196")
ID_MISMATCH = resident_id_with_check("51018119680413303")
ID_NO_TRADES = resident_id_with_check("51012419690919365")
ID_BAD_SCORE = resident_id_with_check("51012219670904729")


# --- the database, the commands and the server ----------------------------------------------------------------


@dataclass(frozen=True)
class Install:
    env: dict[str, str]
    tmp: Path

    def manage(self, *args: str, extra_env: dict[str, str] | None = None, check: bool = True) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check:
            assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout


def _server_parameters() -> dict[str, Any]:
    """Where the run's test database lives: a host or socket directory, and the port when one is set."""
    database = connection.settings_dict
    return {
        "host": database["HOST"] or "127.0.0.1",
        "port": int(database["PORT"]) if database["PORT"] else None,
        "user": database["USER"] or "postgres",
        "password": database["PASSWORD"] or "",
    }


def _admin_sql(statement: str) -> None:
    db = psycopg2.connect(dbname="postgres", **_server_parameters())
    try:
        db.autocommit = True
        with db.cursor() as cursor:
            cursor.execute(statement)
    finally:
        db.close()


@pytest.fixture
def install(tmp_path: Path) -> Iterator[Install]:
    """An empty database of its own, and the environment every command and the server run with."""
    name = f"scf_contract_{os.getpid()}"
    _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin_sql(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_SUPERUSER_", "CELERY_"))}
    env.update(
        DATABASE_URL=url,
        CELERY_BROKER_URL="",  # empty is unset, and outweighs a .env file: tasks run in process
        REDIS_URL="",
        SECRET_KEY=os.environ.get("SECRET_KEY") or settings.SECRET_KEY,  # a server on DATABASE_URL needs one
        BRANCH_CODE="SC",
        BRANCH_NAME="四川分行",
        MEDIA_ROOT=str(tmp_path / "media"),
        PYTHONUNBUFFERED="1",
    )
    try:
        yield Install(env=env, tmp=tmp_path)
    finally:
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(install: Install) -> Iterator[str]:
    """``runserver`` on a free port, answering once it accepts connections."""
    port = _free_port()
    log = (install.tmp / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=install.env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (install.tmp / "server.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)  # waiting for a process to listen, not for business time
        yield f"http://127.0.0.1:{port}/api/v1"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


# --- HTTP, by hand (urllib: no client library in the project) ---------------------------------------------------


class Api:
    def __init__(self, base: str, username: str) -> None:
        self.base = base
        status, body = self._send("POST", "/auth/token/", {"username": username, "password": PASSWORD}, token=None)
        assert status == 200, body
        self.token: str = body["token"]

    def get(self, path: str) -> tuple[int, Any]:
        return self._send("GET", path, None, token=self.token)

    def post(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        return self._send("POST", path, body or {}, token=self.token)

    def upload(self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[int, Any]:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        ]
        for name, (filename, content) in files.items():
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "Content-Type: text/csv\r\n\r\n"
            )
            parts.append(head.encode() + content + b"\r\n")
        data = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self._request("POST", path, data, f"multipart/form-data; boundary={boundary}", self.token)

    def _send(self, method: str, path: str, body: dict[str, Any] | None, *, token: str | None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        return self._request(method, path, data, "application/json", token)

    def _request(
        self, method: str, path: str, data: bytes | None, content_type: str, token: str | None
    ) -> tuple[int, Any]:
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


# --- the files ---------------------------------------------------------------------------------------------------


ORG_TREE = (
    "code,name,kind,parent_code,sub_branch_class\n"
    "GX01,天府大道网点,outlet,GX,\n"  # before its sub-branch: the order of rows does not matter
    "GX,高新支行,sub_branch,SC,priority\n"
    "SL,双流支行,sub_branch,SC,follow_up\n"
)


def farmer_list() -> bytes:
    return (
        "姓名,身份证号,手机号,推荐金额,近12个月订单金额,打分卡得分,地区代码,养殖品种\n"
        f"胡磊涛,{ID_MATCHED},13812345678,100000,300000,75.5,511521,生猪\n"
        f"马丽军,{ID_MISMATCH},13912345678,100000,500000,88,510181,生猪\n"
        f"陈小龙,{ID_NO_TRADES},13712345678,50000,200000,90.25,510124,肉鸡\n"
        f"李三位,{ID_BAD_SCORE},13612345678,50000,200000,75.555,510122,肉鸡\n"
    ).encode("gbk")


def trade_file() -> bytes:
    lines = ["身份证号,订单号,订单日期,订单金额"]
    for month in range(12):  # 12 × 25,000 = 300,000 within the 12 months before START: matches
        day = dt.date(2026, 3 + month, 15) if month < 10 else dt.date(2027, month - 9, 15)
        lines.append(f"{ID_MATCHED},M{month:03d},{day.isoformat()},25000")
    for month in range(8):  # 200,000 against 500,000 declared: a mismatch
        lines.append(f"{ID_MISMATCH},X{month:03d},2026-{4 + month:02d}-10,25000")
    return ("\n".join(lines) + "\n").encode()


# --- the walk ----------------------------------------------------------------------------------------------------


def test_a_fresh_install_keeps_the_outside_contract_from_migrate_to_the_close_of_business(install, request):
    # given a fresh database: the schema, two superusers, the tree and the business date, by command only
    install.manage("migrate", "--noinput")
    for username in (BOSS, CHECKER):
        install.manage(
            "createsuperuser",
            "--noinput",
            extra_env={
                "DJANGO_SUPERUSER_USERNAME": username,
                "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
                "DJANGO_SUPERUSER_EMAIL": f"{username}@bank.example",
            },
        )
    tree = install.tmp / "tree.csv"
    tree.write_text(ORG_TREE, encoding="utf-8")
    assert install.manage("load_org_tree", str(tree)).strip() == "3 created, 0 updated, 0 unchanged"
    assert install.manage("load_org_tree", str(tree)).strip() == "0 created, 0 updated, 3 unchanged"
    install.manage("set_business_date", START.isoformat())
    make_user = {"CREATE_USER_PASSWORD": PASSWORD}
    assert install.manage("create_user", MANAGER, "--role", "account_manager", extra_env=make_user).strip() == (
        f"created {MANAGER}: account_manager at SC"
    )
    base = request.getfixturevalue("server")
    boss, checker, manager = Api(base, BOSS), Api(base, CHECKER), Api(base, MANAGER)

    # an anchor from its three fields, by a superuser without a node, approved by the other one
    uscc = uscc_with_check("91510100MA6CX0009")
    status, anchor = boss.post("/anchors/", {"name": "特驱集团", "uscc": uscc, "guarantee_capacity": "500000000"})
    assert status == 201, anchor
    assert anchor["status"] == "pending"
    status, refused = boss.post(f"/anchors/{anchor['id']}/approve/")
    assert (status, refused["code"]) == (403, "maker_checker")
    status, approved = checker.post(f"/anchors/{anchor['id']}/approve/")
    assert (status, approved["status"]) == (200, "approved")
    assert install.manage(
        "create_user", CLERK, "--role", "anchor_operator", "--anchor", str(anchor["id"]), extra_env=make_user
    ).strip() == (f"created {CLERK}: anchor_operator at -")
    clerk = Api(base, CLERK)

    # a programme with the defaults, and its margin
    status, program = boss.post("/programs/", {"anchor": anchor["id"], "name": "特驱养殖贷", "annual_rate": "0.0435"})
    assert status == 201, program
    assert (program["status"], program["order_ratio"], program["margin_ratio"]) == ("active", "0.30", "0.05")
    assert (program["total_cap"], program["per_farmer_cap"]) == ("400000000.00", "2000000.00")
    status, deposit = boss.post(f"/programs/{program['id']}/margin/", {"kind": "deposit", "amount": "10000.00"})
    assert status == 201, deposit
    assert (deposit["kind"], deposit["amount"], deposit.get("status", "posted")) == ("deposit", "10000.00", "posted")

    # the anchor's farmer list (GBK, a score with a decimal, one with three) and the provider's trades
    status, batch = clerk.upload(
        f"/programs/{program['id']}/batches/", {}, {"farmer_list": ("融资客户清单.csv", farmer_list())}
    )
    assert status == 201, batch
    assert (batch["rows_total"], batch["rows_valid"]) == (4, 3)
    assert [(e["row"], e["column"], e["code"]) for e in batch["errors"]] == [(5, "score", "invalid_score")]
    status, trades = manager.upload(
        "/trade-records/import/", {"anchor": str(anchor["id"])}, {"file": ("三方交易数据.csv", trade_file())}
    )
    assert status == 200, trades
    assert (trades["created"], trades["duplicates"], trades.get("conflicts", 0), trades["errors"]) == (20, 0, 0, [])

    # cross-validation and limits, proposed by the manager, approved by another person
    status, processed = manager.post(f"/batches/{batch['id']}/process/")
    assert (status, processed["status"]) == (200, "processed"), processed
    status, results = manager.get(f"/batches/{batch['id']}/results/")
    assert status == 200, results
    rows = {row["row"]: row for row in results["results"]}
    assert results["count"] == 3 and set(rows) == {2, 3, 4}
    assert rows[2]["id_number"] != ID_MATCHED and rows[2]["id_number"][-4:] == ID_MATCHED[-4:]
    assert (rows[2]["validation"], rows[2]["verified_orders_12m"], rows[2]["limit"], rows[2]["bound_by"]) == (
        "matched",
        "300000.00",
        "90000.00",
        "orders",
    )
    assert rows[2].get("screening", "passed") == "passed"
    assert rows[3]["validation"] == "mismatch"
    assert (rows[4]["validation"], rows[4]["limit"]) == ("no_trade_data", "0.00")
    status, submitted = manager.post(f"/batches/{batch['id']}/submit/")
    assert status == 200, submitted
    status, refused = manager.post(f"/batches/{batch['id']}/approve/")
    assert status == 403 and refused["code"] in {"maker_checker", "permission_denied"}
    status, decided = checker.post(f"/batches/{batch['id']}/approve/")
    assert status == 200, decided

    # the limit, and a loan on it
    status, limits = manager.get(f"/credit-limits/?program={program['id']}")
    assert status == 200, limits
    assert limits["count"] == 1
    limit = limits["results"][0]
    assert (limit["amount"], limit["available"], limit["status"]) == ("90000.00", "90000.00", "active")
    assert limit["id_number"] != ID_MATCHED
    status, loan = manager.post("/loans/", {"credit_limit": limit["id"], "amount": "50000.00", "term_months": 6})
    assert status == 201, loan
    assert (loan["disbursed_on"], loan["maturity_on"], loan["principal_outstanding"]) == (
        START.isoformat(),
        "2027-09-01",
        "50000.00",
    )

    # when the day is closed from the command line
    install.manage("close_business_day")

    # then the date has moved and the loan is serviced as of the new day
    status, today = manager.get("/business-date/")
    assert (status, today) == (200, {"date": (START + dt.timedelta(days=1)).isoformat()})
    status, serviced = manager.get(f"/loans/{loan['id']}/")
    assert status == 200, serviced
    assert (serviced["principal_outstanding"], serviced["penalty_due"], serviced["overdue_amount"]) == (
        "50000.00",
        "0.00",
        "0.00",
    )
    assert (serviced["dpd"], serviced["classification"], serviced["status"]) == (0, "normal", "active")
    assert Decimal(serviced["interest_due"]) > 0  # the disbursement day accrued
