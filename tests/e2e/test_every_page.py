"""Every page of every role, on a PC (1366 px) and on a phone (390 px), in the demo world.

For each page: the role's expected status (200, or a refusal 403/404 — then nothing else is checked), no
horizontal overflow of the page, no console error, no raw English or code in the visible text, and axe-core
(from npm) finds no violation of impact serious or critical.

The pages are not listed by hand: they are the URL patterns of the URL conf, and each pattern's parameters
are filled from the links a role sees, starting at the home page and following links (the first visible
anchor, programme, batch, farmer, loan, warning...). A pattern that no role reaches and that is not POST-only
(GET answers 405) nor excluded below with a reason makes the test fail: a new page cannot go unchecked.
"""

from __future__ import annotations

import importlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import Browser, Page, Request

from postloan.demo import DEMO_LOGINS, DEMO_PASSWORD
from tests.e2e.conftest import DESKTOP, PHONE, log_in, screenshot
from tests.postloan.dashboard_book import products_ensure

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# One login per role: the roles of the demo (the others of a role see the same pages on other data).
ROLE_LOGINS = ("admin", "leader", "approver", "manager", "anchor")
WIDTHS = (("pc", DESKTOP), ("phone", PHONE))

# Prefixes that are not pages of the product: the API and its docs, Django's admin, the language switch.
NOT_PAGES = ("/api/", "/admin/", "/i18n/", "/favicon.ico", "/logout/")
# URL names left out, each with its reason. POST-only views need no entry: GET answers 405 and says so.
EXCLUDED = {
    "upload-job-status": "an htmx fragment polled by the upload job page, checked inside that page",
    "batch-row": "an htmx fragment (the row panel) swapped into the review page, checked inside that page",
    "close-progress": "an htmx fragment polled by a running close's page, checked inside that page",
    "core-instructions-download": "a file download (the instruction file), not a page",
    "core-journal-download": "a file download (the journal file), not a page",
    "distribution-call-list": "a file download (the 95588 call list, audited), not a page",
}


def _upload_job() -> str | None:
    """The demo uploads its lists through the service, without a job: a refused upload's job is made here."""
    from core.files import stored_file_create
    from origination.models import UploadJob
    from partners.models import Program, User

    job = UploadJob.objects.order_by("pk").first()
    if job is None:
        clerk = User.objects.get(username="anchor")
        stored = stored_file_create(content=b"x", name="list.csv", uploaded_by=clerk)
        program = Program.objects.filter(anchor=clerk.anchor).order_by("pk").first()
        job = UploadJob.objects.create(
            program=program, uploaded_by=clerk, farmer_list=stored, file_name="list.csv", state="failed"
        )
    return f"/uploads/{job.pk}/"


def _farmer_holdings() -> str | None:
    from partners.models import ProductHolding

    holding = ProductHolding.objects.order_by("pk").first()
    return f"/dashboards/cross-selling/farmers/{holding.farmer_id}/" if holding else None


# Pages no link leads to, filled from the database: the upload job page is where an upload redirects to; a
# farmer's holdings open from the cross-selling board's chart (a script, not a link).
FILLERS = {"upload-job": _upload_job, "farmer-holdings": _farmer_holdings}
DOWNLOAD = re.compile(r"\.(xlsx|csv|pdf)$")
REFUSED = {403, 404}

# Visible text: what may be written in ASCII letters on a Chinese page.
ALLOWED_WORDS = {
    # file formats and the names of the files a user uploads or downloads
    "XLSX",
    "CSV",
    "PDF",
    "Excel",
    # the units and the currency code a banker reads as they are
    "CNY",
    "SMS",
    # the names of the languages in the language switch are written in their own language
    "English",
    # the business registration number's name as the regulator writes it
    "USCC",
    # the text encodings a list may be saved in, named as a spreadsheet's "save as" dialog names them
    "UTF",
    "GBK",
    # the demo's usernames, shown beside the person's name
    *(login.username for login in DEMO_LOGINS),
}
TOKENS_ALLOWED = [
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),  # e-mail addresses
    re.compile(r"\bhttps?://\S+"),  # addresses
    re.compile(r"[\w.-]+\.(xlsx|csv|pdf|png|svg)\b", re.IGNORECASE),  # file names
    re.compile(r"\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b"),  # a file's digest, shown to tell two uploads apart
    re.compile(r"\b[0-9A-Z]{18}\b"),  # a unified social credit code (USCC): 18 characters, digits and capitals
    re.compile(r"\b[A-Z]{2,}(-[A-Z0-9]+)+\b"),  # organisation and batch codes like CD-GX-01
]
ENGLISH = re.compile(r"[A-Za-z][A-Za-z_]{2,}(?::\d+)?")

# A value as a person or a file wrote it (an order number, a product code a file must use, a cell sent) is
# marked data-raw-value by its template; it is data, not the page's own words, and is left out of the check.
VISIBLE_TEXT = """() => {
  const raw = Array.from(document.querySelectorAll("[data-raw-value]"));
  raw.forEach((element) => { element.dataset.display = element.style.display; element.style.display = "none"; });
  const text = document.body.innerText;
  raw.forEach((element) => { element.style.display = element.dataset.display; });
  return text;
}"""
OVERFLOW = "() => [document.documentElement.scrollWidth, window.innerWidth]"
LINKS = "() => Array.from(document.querySelectorAll('a[href]')).map((a) => a.getAttribute('href'))"
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" "))}));
}"""


def _patterns(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(url name, regex of the whole path) for every named pattern of the URL conf."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        regex = prefix + entry.pattern.regex.pattern.lstrip("^").rstrip("$").removesuffix(r"\Z")
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, regex)
        elif isinstance(entry, URLPattern) and entry.name:
            yield entry.name, "^/" + regex + "$"


def page_patterns() -> dict[str, re.Pattern[str]]:
    patterns = {}
    for name, regex in _patterns():
        compiled = re.compile(regex)
        sample = regex.strip("^$").replace("\\", "").split("(")[0]
        if sample.startswith(NOT_PAGES) or name == "logout":
            continue
        if DOWNLOAD.search(regex.replace("\\", "").rstrip("$")):
            continue
        patterns.setdefault(name, compiled)
    return patterns


def raw_english(text: str) -> list[str]:
    for token in TOKENS_ALLOWED:
        text = token.sub(" ", text)
    return sorted({word for word in ENGLISH.findall(text) if word not in ALLOWED_WORDS})


def _match(patterns: dict[str, re.Pattern[str]], href: str, base: str) -> tuple[str, str] | None:
    parts = urlsplit(href)
    if DOWNLOAD.search(parts.path):
        return None
    if parts.netloc and f"{parts.scheme}://{parts.netloc}" != base:
        return None
    for name, pattern in patterns.items():
        if pattern.match(parts.path):
            return name, parts.path
    return None


def crawl(page: Page, base: str, patterns: dict[str, re.Pattern[str]]) -> dict[str, str]:
    """The first path of each pattern this role reaches by following links from the home page."""
    found: dict[str, str] = {"home": "/"}
    queue = ["/"]
    while queue:
        path = queue.pop(0)
        response = page.goto(base + path)
        if response is None or response.status != 200:
            continue
        for href in page.evaluate(LINKS):
            hit = _match(patterns, href, base)
            if hit and hit[0] not in found and hit[0] not in EXCLUDED:
                found[hit[0]] = hit[1]
                queue.append(hit[1])
    return found


# A page is ready when it has loaded and no request of its own (an htmx fragment, a chart's figures) has been in
# flight for QUIET_MS. Playwright's "networkidle" waits 500 ms of quiet: over the 670 page views of this
# check, the whole check took 700 s with it and 493 s with this wait.
QUIET_MS = 150
POLL_MS = 25
SETTLE_TIMEOUT_MS = 20_000


class InFlight:
    """The requests a page has sent and not yet seen answered (or failed)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.pending: set[Request] = set()
        page.on("request", self._sent)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _sent(self, request: Request) -> None:
        self.pending.add(request)

    def _ended(self, request: Request) -> None:
        self.pending.discard(request)

    def settle(self) -> None:
        self.page.wait_for_load_state("load")
        quiet = waited = 0
        while quiet < QUIET_MS:
            self.page.wait_for_timeout(POLL_MS)
            waited += POLL_MS
            quiet = quiet + POLL_MS if not self.pending else 0
            if waited > SETTLE_TIMEOUT_MS:
                urls = sorted(request.url for request in self.pending)
                seconds = SETTLE_TIMEOUT_MS // 1000
                raise AssertionError(f"{self.page.url}: requests still in flight after {seconds} s: {urls}")


def check(requests: InFlight, base: str, path: str, axe_source: str, errors: list[str]) -> tuple[int, list[str]]:
    page = requests.page
    errors.clear()
    response = page.goto(base + path)
    requests.settle()
    status = response.status if response else 0
    if status in REFUSED:
        return status, []
    problems: list[str] = []
    if status != 200:
        return status, [f"status {status}"]
    scroll, inner = page.evaluate(OVERFLOW)
    if scroll > inner:
        problems.append(f"horizontal overflow: {scroll} px wide in {inner} px")
    problems += [f"console: {error}" for error in errors]
    english = raw_english(page.evaluate(VISIBLE_TEXT))
    if english:
        problems.append(f"raw English or code: {english[:15]}")
    page.add_script_tag(content=axe_source)
    for violation in page.evaluate(AXE_RUN):
        problems.append(f"axe {violation['impact']} {violation['id']}: {violation['nodes']}")
    return status, problems


def test_the_heuristic_finds_english_and_codes_but_not_allowed_tokens():
    assert raw_english("逾期 INTEREST_OVERDUE 贷款 loan:158 状态 active") == ["INTEREST_OVERDUE", "active", "loan:158"]
    assert (
        raw_english("下载 errors.xlsx · CSV · a.b@bank.cn · CD-GX-01 · 91510100MA6CXXXX1A · 2026-12-06 张经理 manager")
        == []
    )


def test_every_page_of_every_role_on_a_pc_and_a_phone(live_server, browser: Browser):
    started = time.monotonic()
    # what the data migrations seed, which an earlier transactional test's flush took away
    products_ensure()
    importlib.import_module("partners.migrations.0005_branch_root_from_settings").create_root(apps, None)
    call_command("seed_demo")
    seeded = time.monotonic()
    base = live_server.url
    patterns = page_patterns()
    axe_source = AXE.read_text()
    failures: list[str] = []
    reached: dict[str, dict[str, str]] = {}
    checked = 0

    # the login page, before anyone logs in
    anonymous = browser.new_context(viewport=DESKTOP, locale="zh-CN", bypass_csp=True)
    errors: list[str] = []
    page = anonymous.new_page()
    requests = InFlight(page)
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    for label, viewport in WIDTHS:
        page.set_viewport_size(viewport)
        status, problems = check(requests, base, "/login/", axe_source, errors)
        failures += [f"anonymous {label} /login/ [{status}]: {problem}" for problem in problems]
    anonymous.close()

    # each role follows its links on a PC; then every page any role reached is opened by each role
    for username in ROLE_LOGINS:
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN", bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(20_000)
        log_in(page, base, username, DEMO_PASSWORD)
        reached[username] = crawl(page, base, patterns)
        context.close()
    paths: dict[str, str] = {}
    for found in reached.values():
        for name, path in found.items():
            paths.setdefault(name, path)

    # a pattern nobody reached: POST-only (GET answers 405) or excluded with a reason, else it is unchecked
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    probe = context.new_page()
    log_in(probe, base, "admin", DEMO_PASSWORD)
    for name, pattern in patterns.items():
        if name in paths or name in EXCLUDED or name == "login":
            continue
        filled = FILLERS[name]() if name in FILLERS else None
        if filled is not None:
            paths[name] = filled
            continue
        sample = re.sub(r"\(\?P<\w+>\[0-9\]\+\)", "1", pattern.pattern.strip("^$"))
        sample = re.sub(r"\(\?P<\w+>\[\^/\]\+\)", "x", sample).replace("\\", "")
        if "(" in sample:
            failures.append(f"pattern {name} ({pattern.pattern}): no way to fill its parameters")
            continue
        if probe.request.get(base + sample).status != 405:
            failures.append(f"page {name} ({sample}) is reached by no role's links: link it or exclude it")
    context.close()

    for username in ROLE_LOGINS:
        for label, viewport in WIDTHS:
            context = browser.new_context(
                viewport=viewport, locale="zh-CN", bypass_csp=True, is_mobile=viewport is PHONE
            )
            page = context.new_page()
            page.set_default_timeout(20_000)
            requests = InFlight(page)
            errors = []
            page.on("console", lambda message, errors=errors: message.type == "error" and errors.append(message.text))
            page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
            log_in(page, base, username, DEMO_PASSWORD)
            for name, shared in sorted(paths.items()):
                path = reached[username].get(name, shared)  # the role's own object where its links lead to one
                status, problems = check(requests, base, path, axe_source, errors)
                checked += 1
                if name in reached[username] and status != 200:
                    problems.append(f"status {status} for a page this role's links lead to")
                failures += [f"{username} {label} {path} [{status}]: {problem}" for problem in problems]
                if name == "home":
                    page.goto(base + "/")
                    requests.settle()
                    screenshot(page, f"every-page-home-{username}-{label}")
            context.close()

    elapsed = time.monotonic() - started
    print(  # the run's measure, in the test's output (pytest -s)
        f"\nseeded in {seeded - started:.0f} s; {checked} page views of {len(paths)} pages in {elapsed:.0f} s"
    )
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)
