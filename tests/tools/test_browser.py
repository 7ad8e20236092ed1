"""The built book, read offline in a real browser (headless Debian Chromium driven by Playwright).

Every HTML page of the build is opened from a local ``http.server`` with every other host blocked, so a page
that needs the network (a CDN script, a web font) fails here as it would for an offline reader. The pages are
read one after the other in one tab, as a reader goes through the book, each with empty storage. On each page:
no console error or uncaught exception, no request leaves the machine, every formula is typeset by MathJax,
every image has loaded, and every link into the site (with its ``#anchor``) resolves; on each exercise page, a
click on its {download} link saves the release notebook; screenshots of the landing page, the Adam chapter and
an exercise page go to ``test-artifacts/``. Each page is loaded once for all of these. Then the search page
finds "bias correction".

``make test`` installs Chromium first (``tests/install_browser.sh``). Point the test at another build with
``ADAMLAB_HTML_DIR=/path/to/_build/html``.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest

from conftest import REPO

HTML = Path(os.environ.get("ADAMLAB_HTML_DIR", REPO / "_build" / "html")).resolve()
ARTIFACTS = Path(os.environ.get("ADAMLAB_TEST_ARTIFACTS", REPO / "test-artifacts")).resolve()
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Less work per page (about 10 % of the crawl's CPU): one local site needs no site isolation, and nothing
    # here translates, hints or casts.
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--disable-features=site-per-process,Translate,OptimizationHints,MediaRouter,PaintHolding",
    "--renderer-process-limit=2",
    # Offline: every host but this one goes to a proxy that is not there (the local server is loopback, which
    # Chromium never sends through a proxy). Requests are not intercepted one by one (about 10 % of the crawl).
    "--proxy-server=http://127.0.0.1:9",
]
TIMEOUT_MS = 60_000  # per page: 2 shared cores, MathJax typesets a few hundred formulas on the longest chapter

pytestmark = pytest.mark.slow


def built_pages() -> list[str]:
    """Site-relative paths of every page: all ``.html`` files except the theme's template fragments in _static/."""
    return sorted(
        p.relative_to(HTML).as_posix()
        for p in HTML.rglob("*.html")
        if p.relative_to(HTML).parts[0] not in ("_static", "_sources")
    )


# --------------------------------------------------------------------------------------------- local web server


class _QuietHandler(SimpleHTTPRequestHandler):
    """Static files only, like a static web host: a directory without index.html is a 404, not a listing."""

    def log_message(self, format, *args):  # the signature is fixed by http.server
        pass

    def list_directory(self, path):
        self.send_error(404, "no directory listings")
        return None


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return  # the browser closed a page (each has its own context) before a file was sent: not an error
        super().handle_error(request, client_address)


@pytest.fixture(scope="module")
def site():
    if not (HTML / "index.html").exists():
        pytest.fail(f"no built book at {HTML}: run `make book` (make test does), or set ADAMLAB_HTML_DIR")
    server = _QuietServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(HTML)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


# ------------------------------------------------------------------------------------------------------ browser


@dataclass
class Visit:
    """What one page did in the browser."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # local requests that failed or answered >= 400
    facts: dict = field(default_factory=dict)  # measured in the page by PAGE_FACTS
    downloads: list[Download] = field(default_factory=list)  # the page's {download} links to notebooks, clicked
    screenshot: Path | None = None  # taken on the pages of SCREENSHOTS


@dataclass
class Download:
    """One {download} link to a notebook, clicked as a reader would."""

    href: str
    status: int  # of the same URL fetched directly
    served: bytes  # what the server sends for it
    saved: bytes  # what the reader's click saved


def leaves(site: str, url: str) -> bool:
    """Whether a request for ``url`` goes to another host than the local ``site`` (data: and blob: URLs stay)."""
    return urlsplit(url).scheme in ("http", "https", "ws", "wss") and not url.startswith(site)


class OfflineBrowser:
    """Headless Chromium that may only talk to the local server (:data:`CHROMIUM_ARGS`). It reads the pages in one
    tab, one after the other, as a reader goes through the book: the theme's files and MathJax then come from its
    cache (less than half the CPU of a fresh browser context per page). Every document starts with empty storage:
    the theme keeps its mode in localStorage, which would hide a first-visit error on later pages."""

    def __init__(self, browser, site: str):
        self.site = site
        self.blocked: list[str] = []  # every request that tried to leave 127.0.0.1, across all pages
        self.visit = Visit()  # what the page open now did
        context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True,
                                      service_workers="block")  # fmt: skip
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script("try { localStorage.clear(); sessionStorage.clear(); } catch (e) {}")
        self.page = page = context.new_page()
        page.on("request", self._record_if_not_local)
        page.on("console", lambda m: m.type == "error" and self.visit.console_errors.append(f"{m.text} @ {m.location}"))
        page.on("pageerror", lambda e: self.visit.page_errors.append(str(e)))
        page.on("requestfailed", self._record_failure)
        page.on("response", lambda r: r.status >= 400 and self.visit.failed.append(f"{r.url}: HTTP {r.status}"))

    def _record_failure(self, request):
        """A request the server or the network failed. Not one the browser gave up because the page moved on
        (``net::ERR_ABORTED``: index.html's redirect leaves while the tab still fetches the favicon): a file the
        server lacks answers 404, which the ``response`` handler records."""
        if request.failure != "net::ERR_ABORTED":
            self.visit.failed.append(f"{request.url}: {request.failure}")

    def _record_if_not_local(self, request):
        if leaves(self.site, request.url):
            self.blocked.append(request.url)

    def open(self, rel: str):
        """Open a site-relative URL in the tab; what it does from now on is recorded in the returned ``Visit``
        (console errors, exceptions, failed local requests)."""
        self.visit = visit = Visit()
        url = self.site + rel
        self.page.goto(url, wait_until="load")
        refresh = REFRESH.search(_local_file(url).read_text(errors="replace"))
        if refresh:  # index.html redirects to the first chapter
            self.page.wait_for_url(urljoin(url, refresh.group(1)), wait_until="load")
        return self.page, visit


@pytest.fixture(scope="module")
def browser(site):
    try:
        from playwright import sync_api
    except ImportError:
        pytest.fail("no `playwright` module: it is in requirements.txt (make install)")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("no `chromium` on PATH: run tests/install_browser.sh (make test does)")
    with sync_api.sync_playwright() as pw:
        handle = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield OfflineBrowser(handle, site)
        handle.close()


REFRESH = re.compile(r'<meta[^>]+http-equiv="refresh"[^>]+url=([^"\'>\s]+)', re.IGNORECASE)


def _local_file(url: str) -> Path:
    path = unquote(urlsplit(url).path).lstrip("/")
    return HTML / (path + "index.html" if path == "" or path.endswith("/") else path)


# Runs in the page once it has loaded: waits for MathJax, makes lazy images load, then measures.
PAGE_FACTS = """async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const hasMath = document.querySelector('.math') !== null;
  if (hasMath) {
    for (let i = 0; i < 300 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++) await sleep(100);
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  }
  const imgs = [...document.images];
  imgs.forEach(img => { img.loading = 'eager'; });
  await Promise.all(imgs.map(img => img.decode().catch(() => null)));
  const visibleText = () => {
    const clone = document.body.cloneNode(true);
    clone.querySelectorAll('pre, code, script, style, textarea, mjx-container, .highlight').forEach(e => e.remove());
    return clone.textContent;
  };
  const text = visibleText();
  const rawTex = ['$$', '\\\\(', '\\\\)', '\\\\[', '\\\\]', '\\\\begin{'].filter(s => text.includes(s))
      .map(s => { const i = text.indexOf(s); return text.slice(Math.max(0, i - 60), i + 60).replace(/\\s+/g, ' '); });
  const math = [...document.querySelectorAll('.math')];
  return {
    title: document.title,
    url: location.href,
    mathjax: !!(window.MathJax && MathJax.version),
    mathjaxVersion: window.MathJax && MathJax.version || null,
    mathCount: math.length,
    untypeset: math.filter(e => !e.querySelector('mjx-container') && !e.closest('mjx-container'))
                   .map(e => e.textContent.slice(0, 80)),
    mjxCount: document.querySelectorAll('mjx-container').length,
    mjxErrors: [...document.querySelectorAll('mjx-merror, [data-mjx-error]')]
                   .map(e => e.getAttribute('data-mjx-error') || e.textContent.slice(0, 80)),
    rawTex,
    images: imgs.length,
    brokenImages: imgs.filter(img => !(img.complete && img.naturalWidth > 0))
                      .map(img => img.currentSrc || img.src || img.outerHTML.slice(0, 100)),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    ids: [...document.querySelectorAll('[id], a[name]')].map(e => e.id || e.getAttribute('name')),
  };
}"""


def exercise_pages() -> list[str]:
    return [p for p in built_pages() if p.startswith("book/exercises/")]


# Screenshots taken during the crawl, into test-artifacts/: the landing page, the Adam chapter, an exercise page.
SCREENSHOTS = {"index.html": "landing.png", "book/adam.html": "adam.png"}


def screenshots() -> dict[str, str]:
    """``{page: file name}`` of the screenshots (the exercise page: the first in the build)."""
    first_exercise = next(iter(exercise_pages()), None)
    return SCREENSHOTS | ({first_exercise: "exercise.png"} if first_exercise else {})


@pytest.fixture(scope="module")
def crawl(browser, tmp_path_factory) -> dict[str, Visit]:
    """Visit every page of the build once; later tests assert on what each visit recorded. Each page is loaded
    once (the longest part of these tests): the exercise pages' downloads are clicked and the screenshots taken
    during the same visit."""
    pages = built_pages()
    assert "book/intro.html" in pages or "index.html" in pages, f"no landing page among {pages}"
    downloads, shots = tmp_path_factory.mktemp("downloads"), screenshots()
    visits = {}
    for rel in pages:
        page, visit = browser.open(rel)
        visit.facts = page.evaluate(PAGE_FACTS)  # MathJax done, images loaded
        if rel.startswith("book/exercises/"):
            visit.downloads = _click_downloads(page, downloads)
        if rel in shots:
            visit.screenshot = _screenshot(page, shots[rel])
        visits[rel] = visit
    return visits


def _click_downloads(page, folder: Path) -> list[Download]:
    """Click each {download} link to a notebook on ``page``; what the server sends and what the click saved."""
    links = page.locator("a.download[href$='.ipynb']")
    out = []
    for i in range(links.count()):
        href = links.nth(i).get_attribute("href")
        status, served = _fetch(urldefrag(links.nth(i).evaluate("a => a.href"))[0])
        with page.expect_download() as download:  # the reader's click saves the file
            links.nth(i).click()
        saved = folder / f"{len(list(folder.iterdir()))}-{Path(unquote(href)).name}"
        download.value.save_as(saved)
        out.append(Download(href, status, served, saved.read_bytes()))
    return out


def _screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if name == "adam.png":  # show typeset display maths, not only the title
        first = page.locator("div.math mjx-container").first
        if first.count():
            first.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / name)
    return ARTIFACTS / name


def _problems(visits: dict[str, Visit], get) -> dict[str, list]:
    return {rel: found for rel, v in visits.items() if (found := get(v))}


def _say(what: str, problems) -> str:
    """A readable failure message: one line per page and problem."""
    if isinstance(problems, dict):
        lines = [f"  {rel}: {item}" for rel, items in sorted(problems.items()) for item in items]
    else:
        lines = [f"  {item}" for item in problems]
    return f"{what}:\n" + "\n".join(line[:500] for line in lines)


def _check(what: str, problems) -> None:
    if problems:
        pytest.fail(_say(what, problems), pytrace=False)


# ----------------------------------------------------------------------------------------------------- the tests


def test_every_page_of_the_build_is_visited(crawl):
    pages = built_pages()
    assert set(crawl) == set(pages)
    assert any(rel.startswith("book/") for rel in pages), pages


def test_no_javascript_error_on_any_page(crawl):
    _check("console errors", _problems(crawl, lambda v: v.console_errors))
    _check("uncaught exceptions", _problems(crawl, lambda v: v.page_errors))


def test_nothing_is_fetched_from_the_network(crawl, browser):
    """Offline means offline: no page even tries a CDN, font service or analytics host."""
    _check("requests to other hosts (blocked here; they fail offline)", sorted(set(browser.blocked)))
    _check("local requests that failed", _problems(crawl, lambda v: v.failed))


def test_every_formula_is_typeset_from_the_local_mathjax(crawl):
    with_math = {rel: v for rel, v in crawl.items() if v.facts["mathCount"]}
    assert with_math, "no page has a formula: is dollarmath on?"
    _check("MathJax missing", _problems(with_math, lambda v: [] if v.facts["mathjax"] else ["did not load"]))
    _check("formulas left untypeset", _problems(with_math, lambda v: v.facts["untypeset"]))
    _check(
        "too few typeset formulas",
        _problems(
            with_math,
            lambda v: (
                [f"{v.facts['mjxCount']} mjx-container for {v.facts['mathCount']} formulas"]
                if v.facts["mjxCount"] < v.facts["mathCount"]
                else []
            ),
        ),
    )
    _check("TeX errors", _problems(with_math, lambda v: v.facts["mjxErrors"]))
    _check("raw TeX in the visible text", _problems(crawl, lambda v: v.facts["rawTex"]))


def test_every_image_loads(crawl):
    _check("images that did not load", _problems(crawl, lambda v: v.facts["brokenImages"]))


def _fetch(url: str, method: str = "GET") -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""


def test_every_internal_link_and_anchor_resolves(crawl, site):
    ids = {rel: set(v.facts["ids"]) for rel, v in crawl.items()}
    targets: dict[str, set[str]] = {}
    for rel, v in crawl.items():
        for href in v.facts["links"]:
            if href.startswith(site):
                targets.setdefault(href, set()).add(rel)
    assert targets
    broken, status = [], {}
    for href, sources in sorted(targets.items()):
        url, fragment = urldefrag(href)
        if url not in status:
            status[url] = _fetch(url, "HEAD")[0]
        if status[url] != 200:
            broken.append(f"{href} (HTTP {status[url]}) from {sorted(sources)}")
            continue
        path = unquote(urlsplit(url).path).lstrip("/")
        if path == "" or path.endswith("/"):
            path += "index.html"
        if fragment and path.endswith(".html") and unquote(fragment) not in ids.get(path, set()):
            broken.append(f"{href}: no element with id {fragment!r} in {path} (linked from {sorted(sources)})")
    _check("broken internal links", broken)


def test_a_request_to_another_host_fails_and_is_recorded(browser):
    """What the crawl relies on: a page that reaches for the network gets nothing, and the attempt is listed."""
    page, visit = browser.open("genindex.html")
    outcome = page.evaluate(
        """async () => {
          try { await fetch('http://192.0.2.1/adamlab-offline-probe'); return 'fetched'; }
          catch (e) { return 'failed'; }
        }"""
    )
    assert outcome == "failed"
    assert "http://192.0.2.1/adamlab-offline-probe" in browser.blocked
    browser.blocked.remove("http://192.0.2.1/adamlab-offline-probe")  # not one of the book's own requests


def test_a_missing_local_file_is_recorded(browser):
    """What the crawl relies on: a file the site lacks is a failed local request of the page that asked for it."""
    page, visit = browser.open("genindex.html")
    assert page.evaluate("async () => (await fetch('_static/adamlab-missing.png')).status") == 404
    assert any("adamlab-missing.png: HTTP 404" in f for f in visit.failed), visit.failed


def test_each_page_starts_with_empty_storage(browser):
    """What the crawl relies on (one tab for every page): what one page stored is gone on the next, as on a first
    visit."""
    page, _ = browser.open("genindex.html")
    page.evaluate("() => { localStorage.setItem('adamlab-probe', '1'); sessionStorage.setItem('adamlab-probe', '1'); }")
    page, _ = browser.open("search.html")
    kept = "() => [localStorage.getItem('adamlab-probe'), sessionStorage.getItem('adamlab-probe')]"
    assert page.evaluate(kept) == [None, None]


def test_search_finds_bias_correction(browser):
    page, visit = browser.open("search.html?q=bias+correction")
    page.wait_for_selector("#search-results ul.search li", timeout=TIMEOUT_MS)
    hits = page.locator("#search-results ul.search li").all_inner_texts()
    assert hits, "no search result for 'bias correction'"
    assert any("Adam" in h for h in hits), hits
    _check("errors on the search page", visit.console_errors + visit.page_errors)


def test_exercise_notebooks_download_from_their_pages(crawl):
    pages = exercise_pages()
    assert pages, "no exercise page in the build"
    for rel in pages:
        assert crawl[rel].downloads, f"{rel} has no {{download}} link to a notebook"
        for d in crawl[rel].downloads:
            assert d.status == 200, f"{rel}: {d.href} answered HTTP {d.status}"
            assert d.saved == d.served, f"{rel}: the click on {d.href} saved something else than the server sends"
            notebook = json.loads(d.served)
            name = Path(unquote(d.href)).name
            assert notebook.get("nbformat") == 4 and notebook.get("cells"), f"{rel}: {name} is no notebook"
            release = REPO / "exercises" / Path(name).stem / name
            if release.exists():
                assert d.served == release.read_bytes(), f"{rel}: {name} differs from the release {release}"


def test_screenshots_of_landing_page_adam_chapter_and_an_exercise(crawl):
    shots = screenshots()
    assert sorted(shots.values()) == ["adam.png", "exercise.png", "landing.png"], shots
    for rel, name in shots.items():
        assert rel in crawl, f"{name}: page {rel} is not in the build"
        assert crawl[rel].screenshot == ARTIFACTS / name
        assert (ARTIFACTS / name).stat().st_size > 10_000, f"{name} looks empty"
