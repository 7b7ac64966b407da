"""Security review, point 10: no key in the repository, HTTPS settings behind one switch, a
Content-Security-Policy on every page, API tokens that expire."""

import datetime as dt
import hashlib
import os
import re
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config.secret_key import secret_key
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
A_DATABASE = "postgres://postgres@127.0.0.1:5432/no_database_needed"
# The key that config/settings.py used to carry, in clear, for every installation.
OLD_WRITTEN_KEY = "dev-only-secret-key-change-me-in-production-0123456789abcdef"
PRINT_SETTINGS = (
    "import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','config.settings');"
    "from config.env import load_settings_or_exit;load_settings_or_exit();from django.conf import settings as s;"
    "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE,"
    " s.CSRF_COOKIE_SECURE, getattr(s, 'SECURE_PROXY_SSL_HEADER', None), s.SECURE_REFERRER_POLICY,"
    " s.SESSION_COOKIE_SAMESITE)"
)


def _env(**overrides: str | None) -> dict[str, str]:
    """This process's environment without any of the variables these tests set, then the overrides."""
    names = {"SECRET_KEY", "DEBUG", "HTTPS", "HSTS_SECONDS", "BEHIND_PROXY", "SECURE_COOKIES", "DATABASE_URL"}
    env = {k: v for k, v in os.environ.items() if k not in names}
    env.update({k: v for k, v in overrides.items() if v is not None})
    return env


def _check(**overrides: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_env(**overrides),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _settings_printed(**overrides: str | None) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=ROOT,
        env=_env(SECRET_KEY=settings.SECRET_KEY, DATABASE_URL=A_DATABASE, **overrides),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


# --- SECRET_KEY ---------------------------------------------------------------------------------------


def test_a_deployment_without_a_secret_key_does_not_start():
    # given: DATABASE_URL set (a deployment), DEBUG off, no SECRET_KEY
    result = _check(DATABASE_URL=A_DATABASE)
    # then: start-up stops with one line naming the variable
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("key", ["too-short-a-key", "ab" * 40, "django-insecure-" + "x1y2z3w4" * 6])
def test_a_weak_secret_key_does_not_start_outside_debug(key):
    result = _check(DATABASE_URL=A_DATABASE, SECRET_KEY=key)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert key not in result.stderr  # the message does not print the key
    assert "Traceback" not in result.stderr


def test_in_debug_the_app_starts_without_a_key_and_with_a_short_one():
    assert _check(DATABASE_URL=A_DATABASE, DEBUG="true").returncode == 0
    assert _check(DATABASE_URL=A_DATABASE, DEBUG="true", SECRET_KEY="short").returncode == 0


def test_a_long_random_key_starts_a_deployment():
    result = _check(DATABASE_URL=A_DATABASE, SECRET_KEY="aB3-xY9_" * 7)
    assert result.returncode == 0, result.stderr


def test_the_settings_hold_no_key_and_the_pii_key_is_not_a_hash_of_a_constant():
    source = (ROOT / "config" / "settings.py").read_text()
    assert OLD_WRITTEN_KEY not in source and "_DEV_SECRET" not in source
    assert settings.SECRET_KEY != OLD_WRITTEN_KEY
    assert hashlib.sha256(f"pii-hash:{OLD_WRITTEN_KEY}".encode()).hexdigest() != settings.PII_HASH_KEY
    assert hashlib.sha256(b"pii-hash:").hexdigest() != settings.PII_HASH_KEY


def test_a_developer_machine_gets_a_random_key_of_its_own_kept_in_a_private_file(tmp_path):
    # given: no SECRET_KEY on the embedded database (make demo, make test)
    (tmp_path / "one").mkdir()
    path = tmp_path / "one" / ".secret_key"
    first = secret_key(from_env="", debug=False, developer_machine=True, key_file=path)
    # then: a strong key, kept readable by its owner only, and the same key the next time
    assert len(first) >= 50 and len(set(first)) >= 5
    assert path.read_text().strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key(from_env="", debug=False, developer_machine=True, key_file=path) == first
    # and another checkout gets another key
    (tmp_path / "two").mkdir()
    other = secret_key(from_env="", debug=False, developer_machine=True, key_file=tmp_path / "two" / ".secret_key")
    assert other != first


def test_processes_starting_together_share_one_key(tmp_path):
    path = tmp_path / ".secret_key"
    keys: list[str] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        keys.append(secret_key(from_env="", debug=False, developer_machine=True, key_file=path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1
    assert [p.name for p in tmp_path.iterdir()] == [".secret_key"]  # no staging file left behind


def test_a_key_file_that_cannot_be_used_stops_start_up_saying_what_to_do(tmp_path):
    path = tmp_path / ".secret_key"
    path.write_text("short\n")
    with pytest.raises(ImproperlyConfigured, match=r"SECRET_KEY is not set.*delete the file"):
        secret_key(from_env="", debug=False, developer_machine=True, key_file=path)
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is not set"):
        secret_key(from_env="", debug=False, developer_machine=False, key_file=tmp_path / "unused")
    assert not (tmp_path / "unused").exists()


# --- HTTPS ----------------------------------------------------------------------------------------------


def test_https_turns_on_the_redirect_hsts_and_secure_cookies():
    assert _settings_printed(HTTPS="true") == [
        "True",
        "31536000",
        "True",
        "True",
        "True",
        "None",
        "same-origin",
        "Lax",
    ]


def test_behind_a_proxy_the_forwarded_protocol_is_trusted_and_hsts_can_be_shortened():
    printed = _settings_printed(HTTPS="true", BEHIND_PROXY="true", HSTS_SECONDS="3600")
    assert printed[1] == "3600"
    assert "".join(printed[5:7]) == "('HTTP_X_FORWARDED_PROTO','https')"


def test_without_https_nothing_redirects_and_secure_cookies_still_work_alone():
    assert _settings_printed()[:5] == ["False", "0", "False", "False", "False"]
    assert _settings_printed(SECURE_COOKIES="true")[:5] == ["False", "0", "False", "True", "True"]


def test_hsts_and_the_redirect_reach_the_browser(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    assert client.get("/login/").status_code == 301
    answer = client.get("/login/", secure=True)
    assert answer["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert answer["Referrer-Policy"] == "same-origin"


# --- Content-Security-Policy ------------------------------------------------------------------------------


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in header.split(";")) if part}


def test_a_page_carries_the_policy_and_its_inline_scripts_carry_its_nonce(world):
    # given: the programme page, which draws a chart from an inline script
    client = Client()
    client.force_login(world["users"]["manager"])
    response = client.get(f"/programs/{world['program'].pk}/")
    assert response.status_code == 200
    # then: the policy allows scripts of the site and those with this response's nonce only
    policy = _policy(response)
    nonce = re.fullmatch(r"'self' 'nonce-([A-Za-z0-9_-]{20,})'", policy["script-src"]).group(1)
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    page = response.content.decode()
    inline = [a for a in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page) if "application/json" not in a]
    assert inline, "the page has an inline script"
    assert all(f'nonce="{nonce}"' in attributes for attributes in inline), inline
    # and htmx gives scripts of swapped fragments the same nonce; no inline handler is left
    assert f'"inlineScriptNonce": "{nonce}"' in page
    assert not re.search(r"\son(change|click|submit|load)=", page) and "javascript:" not in page
    # and the next response has another nonce
    assert (
        client.get(f"/programs/{world['program'].pk}/")["Content-Security-Policy"]
        != response["Content-Security-Policy"]
    )


def test_json_answers_carry_no_policy_and_the_switch_turns_it_off(users, settings):
    api = APIClient()
    api.force_authenticate(users["manager"])
    assert "Content-Security-Policy" not in api.get("/api/v1/business-date/")
    settings.CSP_ENABLED = False
    assert "Content-Security-Policy" not in Client().get("/login/")


def test_a_path_may_be_given_a_policy_of_its_own(db, settings):
    settings.CSP_PATH_POLICIES = {"/login": "default-src 'none'; script-src 'nonce-{nonce}'"}
    policy = _policy(Client().get("/login/"))
    assert policy["default-src"] == "'none'" and policy["script-src"].startswith("'nonce-")


# --- API tokens --------------------------------------------------------------------------------------------


def _token(username: str = "manager") -> str:
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["token"]


def _age(key: str, hours: float) -> None:
    Token.objects.filter(key=key).update(created=timezone.now() - dt.timedelta(hours=hours))


def _call(key: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/business-date/")


def test_a_token_is_good_until_its_hours_are_over_and_then_answers_token_expired(users, settings):
    key = _token()
    _age(key, settings.API_TOKEN_TTL_HOURS - 0.1)
    assert _call(key).status_code == 200
    _age(key, settings.API_TOKEN_TTL_HOURS)
    answer = _call(key)
    assert answer.status_code == 401
    assert answer.json()["code"] == "token_expired"
    assert "过期" in answer.json()["detail"]


def test_asking_again_gives_the_same_token_while_valid_and_a_new_one_after_expiry(users, settings):
    key = _token()
    assert _token() == key
    _age(key, settings.API_TOKEN_TTL_HOURS + 1)
    renewed = _token()
    assert renewed != key
    assert _call(renewed).status_code == 200
    old = _call(key)
    assert old.status_code == 401 and old.json()["code"] == "authentication_failed"
    assert Token.objects.filter(user=users["manager"]).count() == 1


def test_an_expired_token_sent_along_does_not_stop_asking_for_a_new_one(users, settings):
    key = _token()
    _age(key, settings.API_TOKEN_TTL_HOURS + 1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    answer = client.post("/api/v1/auth/token/", {"username": "manager", "password": PASSWORD}, format="json")
    assert answer.status_code == 200 and answer.json()["token"] != key


def test_delete_revokes_the_callers_token(users):
    key = _token()
    other = _token("manager_b")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert _call(key).status_code == 401
    assert _call(other).status_code == 200  # another user's token is untouched
    assert APIClient().delete("/api/v1/auth/token/").status_code == 401
    assert _token() != key
