"""Start-up from the environment: a malformed setting stops it naming the variable; nothing set runs the
embedded PostgreSQL."""

import os
import signal
import subprocess
import sys

import pytest


def _start(env_overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **env_overrides}
    return subprocess.run([sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysqlx://nowhere/db"),
        ("CELERY_BROKER_URL", "http://127.0.0.1:6379"),
        ("UPLOAD_MAX_ROWS", "lots"),
    ],
)
def test_a_malformed_value_stops_start_up_naming_the_variable(name, value):
    result = _start({name: value})
    assert result.returncode != 0
    assert name in result.stderr
    assert "Traceback" not in result.stderr


def test_with_nothing_set_the_project_runs_its_own_postgresql_and_stops_it_at_exit(tmp_path):
    # given: no database, no broker, and a data directory of the test's own
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"}}
    env["EMBEDDED_PGDATA"] = str(tmp_path / "pgdata")
    # when: a process sets Django up and reads from the database
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','config.settings');"
            "django.setup();from django.conf import settings as s;from django.db import connection as c;"
            "cur=c.cursor();cur.execute('SELECT current_database(), current_setting(%s)', ['server_version_num']);"
            "name,version=cur.fetchone();"
            "print(c.vendor, name, int(version) >= 180000, s.CELERY_TASK_ALWAYS_EAGER, s.LANGUAGE_CODE, s.TIME_ZONE)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then: it ran on the embedded PostgreSQL 18 in the project's database, with tasks in process
    assert result.stdout.split() == ["postgresql", "scf", "True", "True", "zh-hans", "Asia/Shanghai"], result.stderr
    # and the server stopped when the process ended
    assert (tmp_path / "pgdata" / "PG_VERSION").is_file()
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()


def _embedded_env(pgdata: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"}}
    env["EMBEDDED_PGDATA"] = pgdata
    return env


CONNECT_AND_WAIT = (
    "import django,os,sys,time;os.environ.setdefault('DJANGO_SETTINGS_MODULE','config.settings');"
    "django.setup();from django.db import connection as c;c.cursor().execute('SELECT 1');"
    "print('connected', flush=True);time.sleep(60)"
)


def _start_and_connect(pgdata: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", CONNECT_AND_WAIT], env=_embedded_env(pgdata), stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "connected"
    return process


def test_the_embedded_server_stops_with_a_command_ended_by_sigterm_or_after_one_killed_outright(tmp_path):
    pgdata = tmp_path / "pgdata"
    # given: a command that started the server, ended by SIGTERM (as `timeout` or `kill` do)
    first = _start_and_connect(str(pgdata))
    first.send_signal(signal.SIGTERM)
    first.wait(timeout=60)
    # then: the server stopped with it
    assert not (pgdata / "postmaster.pid").exists()
    # given: a command killed outright, which cannot stop the server
    second = _start_and_connect(str(pgdata))
    second.kill()
    second.wait(timeout=60)
    assert (pgdata / "postmaster.pid").exists()
    # when: the next command joins the server left running and ends normally
    third = subprocess.run(
        [sys.executable, "-c", CONNECT_AND_WAIT.replace("time.sleep(60)", "None")],
        env=_embedded_env(str(pgdata)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then: it stops the server, the dead process being forgotten
    assert third.stdout.strip() == "connected", third.stderr
    assert not (pgdata / "postmaster.pid").exists()
