"""Times the leaders' dashboards under load on PostgreSQL: 1,000,000 loans and 200,000 warnings.

The book is ``bench_cob``'s (its loaders are imported, not copied): 1,000,000
active loans of as many farmers over four outlets of two sub-branches, ten
programmes, limits, dues, ledger, margin, as the closes would have left them
on the evening of 17 June 2027. On top of it, in SQL:

* 200,000 warnings over the last year, one per loan subject, spread over the
  21 rules: those raised in the last 30 days mostly open, older ones mostly
  closed, by a person (confirmed risk or false alarm, 0–20 days after
  raising) or cleared by the rule; about 25,000 open in all;
* product holdings of about half the farmers (five products, ~1,000,000 rows);
* a branch manager at the branch, who sees everything below it.

Then the close's ``aggregates`` step is run once for the business date
(18 June, timed), and 89 earlier days are filled so that the trends read 90
days of rows: the warning figures are written again from dates (the real
code), the lending and cross-selling snapshots of the earlier days are copies
of the measured day with slightly lower balances (synthetic history: the
point is the number of rows a page reads, and the book keeps no history to
rebuild them from).

The application is started under gunicorn on 127.0.0.1, on a free port, with
``DATABASE_URL`` of the benchmark database; a second process logs in through
the login form and fires ``--clients`` concurrent clients × ``--requests``
requests at each page (the four dashboards, and the home page ``/`` as the
baseline: what any page of the application costs), after a few warm-up
requests per page. It prints p50, p95 and max per page and checks p95 ≤ 300 ms.

The database named in ``DATABASE_URL`` is dropped and created again at the
start and dropped at the end (unless ``--keep-db``); its name must contain
"bench". ``--reuse-db`` measures a database kept by an earlier ``--keep-db``
run without loading it again. Run from the repository root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scf_bench_dashboards \\
        .venv/bin/python bench/bench_dashboards.py [LOANS] [--clients 4] [--requests 200] [--keep-db]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/scf_bench_dashboards"
LEADER = "bench_leader"
PASSWORD = "Bench#2027-dashboards"  # noqa: S105 - a user of a throw-away database
WARNINGS = 200_000
HISTORY_DAYS = 90
TARGET_P95_MS = 300.0
WARM_UP = 5
PAGES = (
    ("/", "home page (baseline)"),
    ("/dashboards/warnings/", "warnings"),
    ("/dashboards/programmes/", "programme health"),
    ("/dashboards/cross-selling/", "cross-selling"),
    ("/dashboards/ranking/", "quarterly ranking"),
)


def log(message: str) -> None:
    print(message, flush=True)


def timed(label: str, func: Any) -> Any:
    start = time.perf_counter()
    result = func()
    log(f"{label}: {time.perf_counter() - start:.1f} s")
    return result


def sql(statement: str, params: Any = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return int(cursor.rowcount)


# -- the load ---------------------------------------------------------------------------------------------------


def load(n: int) -> None:
    import pandas as pd
    from bench_cob import ORDINARY, book_generate, book_load, margin_fund, world_create
    from django.core.management import call_command

    from core.business_date import business_date_set
    from core.roles import Role
    from partners.models import OrgNode
    from partners.services.org import user_create

    timed("migrate", lambda: call_command("migrate", verbosity=0))
    world = world_create()
    start = time.perf_counter()
    book = book_generate(n, world)
    book_load(book, world)
    log(f"book of {n:,} loans generated and loaded by bench_cob in {time.perf_counter() - start:.1f} s")
    outstanding = {
        int(index): Decimal(int(total)) / 100
        for index, total in pd.Series(book.principal_fen).groupby(book.program).sum().items()
    }
    margin_fund(world, outstanding)
    del book
    business_date_set(new_date=ORDINARY, backwards_allowed=False)
    user_create(
        username=LEADER,
        password=PASSWORD,
        role=Role.BRANCH_MANAGER,
        org_node=OrgNode.objects.get(code="CB"),  # bench_cob's branch; migrate's root is another
        display_name="基准行长",
    )
    log(f"{timed('warnings inserted', lambda: warnings_insert(n, ORDINARY)):,} warnings")
    log(f"{timed('product holdings inserted', holdings_insert):,} holdings")


def warnings_insert(n: int, today: dt.date) -> int:
    """One warning per subject (loan ids spread by a multiplier prime to the book's size)."""
    from postloan.models import RiskWarning, WarningRule
    from postloan.warning_run import rules_ensure

    rules_ensure()
    rules = list(WarningRule.objects.order_by("code").values_list("id", "subject_type", "severity", "deadline_days"))
    values = ", ".join(
        f"({i}, {pk}, '{kind}', '{severity}', {days})" for i, (pk, kind, severity, days) in enumerate(rules)
    )
    step = 7919 if n % 7919 else 7907
    count = min(WARNINGS, n)  # one warning per loan at most (a small debugging book has fewer loans)
    return sql(
        f"INSERT INTO {RiskWarning._meta.db_table} (rule_id, subject_type, subject_id, severity, org_node_id, "
        "program_id, assignee_id, raised_on, deadline, fact, active, cleared_on, status, resolution, closed_on, "
        "close_reason, escalated) "
        "SELECT r.rule_id, r.kind, l.id, r.severity, l.org_node_id, l.program_id, l.account_manager_id, "
        "w.raised_on, w.raised_on + r.days, '', w.open, "
        "CASE WHEN NOT w.open AND w.cleared THEN w.closed_on END, "
        "CASE WHEN w.open THEN 'open' ELSE 'closed' END, "
        "CASE WHEN w.open THEN '' WHEN w.cleared THEN 'cleared' "
        "     WHEN w.g %% 3 = 0 THEN 'confirmed_risk' ELSE 'false_alarm' END, "
        "CASE WHEN NOT w.open THEN w.closed_on END, '', w.open AND w.raised_on + r.days < %(today)s "
        "FROM ("
        "  SELECT g, raised_on, open, cleared, LEAST(raised_on + (g * 13) %% 21, %(today)s - 1) AS closed_on FROM ("
        "    SELECT g, %(today)s - 1 - (g * 31) %% 365 AS raised_on, (g * 17) %% 100 AS roll, (g * 29) %% 100 < 40 "
        "    AS cleared FROM generate_series(1, %(count)s) g) s, "
        "  LATERAL (SELECT CASE WHEN s.raised_on > %(today)s - 30 THEN s.roll < 60 ELSE s.roll < 8 END AS open) o"
        ") w "
        f"JOIN (VALUES {values}) r(i, rule_id, kind, severity, days) ON r.i = (w.g * 5) %% {len(rules)} "
        f"JOIN origination_loan l ON l.id = (w.g * {step}) %% %(n)s + 1",
        {"today": today, "count": count, "n": n},
    )


def holdings_insert() -> int:
    from partners.models import Farmer, Product, ProductHolding

    chances = {"DEBIT_CARD": 50, "MOBILE_BANKING": 30, "PAYROLL": 8, "ACQUIRING": 5, "WEALTH": 10}
    products = dict(Product.objects.values_list("code", "id"))
    cases = " ".join(f"WHEN {products[code]} THEN {chance}" for code, chance in chances.items())
    return sql(
        f"INSERT INTO {ProductHolding._meta.db_table} (farmer_id, product_id, opened_on, source, created_at) "
        f"SELECT f.id, p.id, DATE '2026-01-01' + CAST((f.id * 37 + p.id * 11) %% 530 AS integer), 'file', now() "
        f"FROM {Farmer._meta.db_table} f CROSS JOIN {Product._meta.db_table} p "
        f"WHERE (f.id * 7 + p.id * 13) %% 100 < CASE p.id {cases} ELSE 0 END ORDER BY f.id, p.id",
        [],
    )


def figures_write(today: dt.date) -> None:
    """The close's step for the business date, then 89 earlier days for the trends."""
    from postloan.dashboards.aggregates import aggregates_step, lending_figures_step, warning_figures_write
    from postloan.models_dashboards import AggregateDay, DailyCrossSelling, DailyNodeFigures

    start = time.perf_counter()
    rows = lending_figures_step(today - dt.timedelta(days=1)) + aggregates_step(today - dt.timedelta(days=1))
    log(
        f"aggregates step (the close of {today - dt.timedelta(days=1)}): {rows:,} rows in "
        f"{time.perf_counter() - start:.1f} s"
    )
    start = time.perf_counter()
    nodes, selling = DailyNodeFigures._meta.db_table, DailyCrossSelling._meta.db_table
    money = ("outstanding", "npl", "normal", "special_mention", "substandard", "doubtful", "loss",
             "principal_overdue", "interest_overdue", "compensated", "shadow_delinquent",
             "limits_approved")  # fmt: skip
    scaled = ", ".join(f"ROUND({c} * (1 - k * 0.002), 2)" for c in money)
    sql(
        f"INSERT INTO {nodes} (day, org_node_id, program_id, loans, customers, limits_count, {', '.join(money)}) "
        f"SELECT day - k, org_node_id, program_id, loans, customers, limits_count, {scaled} "
        f"FROM {nodes} CROSS JOIN generate_series(1, %s) k WHERE day = %s",
        [HISTORY_DAYS - 1, today],
    )
    sql(
        f"INSERT INTO {selling} (day, org_node_id, program_id, product_id, borrowers) "
        "SELECT day - k, org_node_id, program_id, product_id, "
        "CAST(borrowers * (1 - k * CASE WHEN product_id IS NULL THEN 0.001 ELSE 0.003 END) AS integer) "
        f"FROM {selling} CROSS JOIN generate_series(1, %s) k WHERE day = %s",
        [HISTORY_DAYS - 1, today],
    )
    for back in range(1, HISTORY_DAYS):
        day = today - dt.timedelta(days=back)
        warning_figures_write(day)
        AggregateDay.objects.get_or_create(day=day)
    log(f"{HISTORY_DAYS - 1} earlier days filled in {time.perf_counter() - start:.1f} s")
    for model in ("dailynodefigures", "dailycrossselling", "dailywarningfigures", "dailywarningclosetimes"):
        count = sql(f"SELECT 1 FROM postloan_{model}")  # rowcount of a SELECT is its number of rows
        log(f"    postloan_{model}: {count:,} rows")


def uncached_timings(repeat: int = 5) -> dict[str, tuple[float, float]]:
    """Each page with every cache cleared first: its cost when the figures or the live data just changed.

    Measured in this process with Django's test client (median and max of ``repeat`` requests).
    """
    from django.core.cache import cache
    from django.test import Client

    from partners.models import User

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(User.objects.get(username=LEADER))
    found: dict[str, tuple[float, float]] = {}
    for path, _label in PAGES:
        client.get(path)
        timings = []
        for _ in range(repeat):
            cache.clear()
            start = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
        found[path] = (statistics.median(timings), max(timings))
    cache.clear()
    return found


def book_summary() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT COUNT(*) FROM origination_loan WHERE status = 'active'), "
            "(SELECT COUNT(*) FROM postloan_warning), (SELECT COUNT(*) FROM postloan_warning WHERE status = 'open'), "
            "(SELECT COUNT(*) FROM partners_productholding)"
        )
        loans, warnings, open_warnings, holdings = cursor.fetchone()
    log(f"book: {loans:,} active loans, {warnings:,} warnings ({open_warnings:,} open), {holdings:,} holdings")


# -- the server ---------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_start(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DB_CONN_MAX_AGE": "600",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/login/")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


# -- the client (a second process) ----------------------------------------------------------------------------------


def _cookies(response: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]


def _cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def log_in(port: int, username: str, password: str) -> dict[str, str]:
    """Through the login form, as a browser does: the CSRF cookie and token, then the session cookie."""
    jar: dict[str, str] = {}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/login/")
    response = connection.getresponse()
    _cookies(response, jar)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.read())
    if token is None:
        raise SystemExit("no CSRF token on the login page")
    body = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token.group(1).decode()})
    connection.request(
        "POST",
        "/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": _cookie_header(jar),
            "Referer": f"http://127.0.0.1:{port}/login/",
        },
    )
    response = connection.getresponse()
    response.read()
    _cookies(response, jar)
    if response.status != 302 or "sessionid" not in jar:
        raise SystemExit(f"log-in failed: {response.status}")
    return jar


def client_run(port: int, clients: int, requests: int) -> dict[str, Any]:
    jar = log_in(port, LEADER, PASSWORD)
    headers = {"Cookie": _cookie_header(jar), "Accept-Language": "zh-hans"}
    results: dict[str, Any] = {}
    for path, _label in PAGES:
        warm = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(WARM_UP):
            warm.request("GET", path, headers=headers)
            response = warm.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{path} answered {response.status}")
        warm.close()
        timings: list[float] = []
        failures: list[int] = []
        lock = threading.Lock()

        def one_client(path: str = path, lock: threading.Lock = lock, timings: list[float] = timings,
                       failures: list[int] = failures) -> None:  # fmt: skip
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            mine: list[float] = []
            bad: list[int] = []
            for _ in range(requests):
                start = time.perf_counter()
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                body = response.read()
                mine.append((time.perf_counter() - start) * 1000)
                if response.status != 200 or not body:
                    bad.append(response.status)
            connection.close()
            with lock:
                timings.extend(mine)
                failures.extend(bad)

        began = time.perf_counter()
        threads = [threading.Thread(target=one_client) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        ordered = sorted(timings)
        results[path] = {
            "count": len(ordered),
            "failures": len(failures),
            "p50": statistics.median(ordered),
            "p95": ordered[max(0, round(0.95 * len(ordered)) - 1)],
            "max": ordered[-1],
            "rps": len(ordered) / elapsed,
        }
    return results


def report(
    results: dict[str, Any], uncached: dict[str, tuple[float, float]], clients: int, requests: int, load: str
) -> bool:
    log("")
    log(f"{clients} concurrent clients × {requests} requests per page, loopback, gunicorn; load average {load}")
    log(f"{'page':<40} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'req/s':>7} {'uncached ms':>12}")
    log("-" * 97)
    ok = True
    for path, label in PAGES:
        r = results[path]
        cold = f"{uncached[path][0]:.0f} ({uncached[path][1]:.0f})"
        log(
            f"{label + ' ' + path:<40} {r['count']:>8} {r['p50']:>8.1f} {r['p95']:>8.1f} {r['max']:>8.1f} "
            f"{r['rps']:>7.1f} {cold:>12}" + (f"  {r['failures']} failed" if r["failures"] else "")
        )
        if path.startswith("/dashboards/"):
            ok = ok and r["p95"] <= TARGET_P95_MS and not r["failures"]
    log("uncached: one request at a time, every cache cleared first (median, and max in brackets, of 5)")
    log("")
    for path, label in PAGES[1:]:
        passed = results[path]["p95"] <= TARGET_P95_MS and not results[path]["failures"]
        log(f"{'PASS' if passed else 'FAIL'}  {label}: p95 {results[path]['p95']:.0f} ms ≤ {TARGET_P95_MS:.0f} ms")
    return ok


# -- main ---------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("loans", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--keep-db", action="store_true", help="leave the benchmark database behind")
    parser.add_argument("--reuse-db", action="store_true", help="measure a database kept by --keep-db")
    parser.add_argument("--client", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        print(json.dumps(client_run(args.client, args.clients, args.requests)))
        return
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database")
    from bench_cob import ORDINARY
    from benchlib import database_recreate, database_settle, setup_django

    began = time.perf_counter()
    if not args.reuse_db:
        database_recreate(url)
    setup_django()
    ok = False
    try:
        if not args.reuse_db:
            load(args.loans)
            timed("VACUUM ANALYZE", lambda: database_settle(checkpoint=False))
            figures_write(ORDINARY)
            timed("VACUUM ANALYZE", lambda: database_settle(checkpoint=False))
        book_summary()
        uncached = uncached_timings()
        from django.db import connections

        connections.close_all()
        port = free_port()
        server = server_start(url, port, args.workers)
        try:
            log(f"gunicorn on 127.0.0.1:{port}, {args.workers} workers; the client process starts")
            before = os.getloadavg()[0]
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--client",
                    str(port),
                    "--clients",
                    str(args.clients),
                    "--requests",
                    str(args.requests),
                ],
                check=True,
                capture_output=True,
                text=True,
                timeout=1800,
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
        load_average = f"{before:.1f} → {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        ok = report(json.loads(out.stdout), uncached, args.clients, args.requests, load_average)
    finally:
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            database_recreate(url, drop_only=True)
    log(f"\nwhole run: {time.perf_counter() - began:.0f} s (database {urlsplit(url).path.lstrip('/')})")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
