"""A malformed setting stops start-up with a message naming the variable."""

import os
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


def test_nothing_set_starts_on_sqlite():
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"}}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','config.settings');"
            "django.setup();from django.conf import settings as s;"
            "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER,"
            " s.LANGUAGE_CODE, s.TIME_ZONE)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True", "zh-hans", "Asia/Shanghai"]
