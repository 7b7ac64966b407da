"""The web host's check: a branch manager signs in to the app (a write: the primary) and reads
dashboards that the database router sends to the streaming replica, each of which must show
the replica's age (``data-replica-age-seconds``). Prints one line, ``ok ...`` or ``failed ...``.

Usage, inside the web host: ``python cluster/web_check.py BASE_URL USERNAME``, the password in the
environment variable ``CLUSTER_WEB_PASSWORD`` (not on a command line that any process list shows).
"""

from __future__ import annotations

import os
import re
import sys

import requests

PAGES = ("/dashboards/warnings/", "/dashboards/programmes/")
AGE = re.compile(r'data-replica-age-seconds="(\d+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def check(base: str, username: str, password: str) -> str:
    session = requests.Session()
    form = session.get(f"{base}/login/", timeout=30)
    token = CSRF.search(form.text)
    if form.status_code != 200 or not token:
        return f"failed: the login page answered {form.status_code}"
    signed_in = session.post(
        f"{base}/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{base}/login/"},
        allow_redirects=False,
        timeout=30,
    )
    if signed_in.status_code != 302 or "sessionid" not in session.cookies:
        return f"failed: signing in answered {signed_in.status_code} without a session"
    ages = []
    for page in PAGES:
        response = session.get(f"{base}{page}", timeout=60)
        age = AGE.search(response.text)
        if response.status_code != 200 or not age:
            return f"failed: {page} answered {response.status_code} without data-replica-age-seconds"
        ages.append(f"{page} {age.group(1)} s")
    return f"ok: signed in (session written on the primary), replica age on {', '.join(ages)}"


def main() -> None:
    base, username = sys.argv[1:3]
    password = os.environ["CLUSTER_WEB_PASSWORD"]
    try:
        print(check(base.rstrip("/"), username, password))
    except requests.RequestException as exc:
        print(f"failed: {exc}")


if __name__ == "__main__":
    main()
