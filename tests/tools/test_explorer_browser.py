"""The explorer page (book/explorer.md) in a real browser, offline: its sliders move the drawing, and what the
JavaScript computes equals its Python twin, :mod:`adamlab.lab.explorer`, at every setting the test visits.

The page is served from the built book (``_build/html``, or ``ADAMLAB_HTML_DIR``) with every other host
blocked, as in ``test_browser.py``. The test moves the sliders the way a reader does (keyboard on a focused
slider, a click on the phase diagram, the "Polyak's optimum" button) and by setting their values, and after
each move checks that

- the three canvases were redrawn, and the paths canvas differs from before the move;
- ``window.adamlabExplorer.state()`` (the paths, final values and predicted rates the page draws) equals
  ``explorer.explore(settings)`` computed here in Python, at the settings the page reports;
- the numbers in the page's table are those values.

Skipped when the book has not been built (``make book``).
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from adamlab.lab import explorer
from conftest import REPO

HTML = Path(os.environ.get("ADAMLAB_HTML_DIR", REPO / "_build" / "html")).resolve()
PAGE = "book/explorer.html"
ARTIFACTS = Path(os.environ.get("ADAMLAB_TEST_ARTIFACTS", REPO / "test-artifacts")).resolve()
RTOL = 1e-9  # the two programs do the same operations; only cos, sin and pow may differ in the last bit

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (HTML / PAGE).exists(), reason=f"no built explorer page at {HTML / PAGE}: run `make book` first"
    ),
]


@pytest.fixture(scope="module")
def page():
    from test_browser import CHROMIUM_ARGS, _QuietHandler, leaves

    try:
        from playwright import sync_api
    except ImportError:
        pytest.fail("no `playwright` module: it is in requirements.txt (make install)")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("no `chromium` on PATH: run tests/install_browser.sh (make test does)")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(HTML)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = f"http://127.0.0.1:{server.server_address[1]}/"
    problems: dict[str, list[str]] = {"console": [], "exceptions": [], "blocked": [], "failed": []}

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, service_workers="block")
        context.set_default_timeout(60_000)
        pg = context.new_page()
        # CHROMIUM_ARGS send every other host to a proxy that is not there; the attempts are recorded
        pg.on("request", lambda r: leaves(site, r.url) and problems["blocked"].append(r.url))
        pg.on("console", lambda m: m.type == "error" and problems["console"].append(m.text))
        pg.on("pageerror", lambda e: problems["exceptions"].append(str(e)))
        pg.on("requestfailed", lambda r: problems["failed"].append(f"{r.url}: {r.failure}"))
        pg.on("response", lambda r: r.status >= 400 and problems["failed"].append(f"{r.url}: HTTP {r.status}"))
        pg.goto(site + PAGE, wait_until="load")
        pg.wait_for_function("() => window.adamlabExplorer !== undefined")
        pg.locator("#adamlab-explorer").scroll_into_view_if_needed()
        pg.problems = problems
        yield pg
        context.close()
        browser.close()
    server.shutdown()
    server.server_close()


def settings_of(page) -> explorer.Settings:
    raw = page.evaluate("() => window.adamlabExplorer.settings()")
    return explorer.Settings(**{**raw, "steps": int(raw["steps"])})


def snapshot(page) -> dict:
    """What the page shows now: its state, its canvases as PNG data, its table and how often it redrew."""
    return page.evaluate(
        """() => ({
        state: window.adamlabExplorer.state(),
        canvases: [...document.querySelectorAll('#adamlab-explorer canvas')].map(c => c.toDataURL()),
        table: [...document.querySelectorAll('#adamlab-explorer tr[data-method]')].map(tr =>
            [tr.dataset.method, tr.querySelector('.ax-f').textContent, tr.querySelector('.ax-rate').textContent]),
        updates: Number(document.getElementById('adamlab-explorer').dataset.updates),
    })"""
    )


def _num(x) -> float:
    return float(x)  # JSON turns JavaScript's Infinity/NaN into strings; float() reads them back


def assert_matches_python(page, shown: dict) -> explorer.Settings:
    """The page's numbers equal the twin's at the page's settings; returns those settings."""
    s = settings_of(page)
    twin = explorer.explore(s)
    js = shown["state"]
    for name, path in twin["paths"].items():
        a = np.array(path)
        b = np.array([[_num(x) for x in p] for p in js["paths"][name]])
        assert a.shape == b.shape, f"{name} at {s}: {len(b)} points in the browser, {len(a)} in Python"
        finite = np.isfinite(a)
        assert (np.isfinite(b) == finite).all(), name
        np.testing.assert_allclose(b[finite], a[finite], rtol=RTOL, atol=RTOL, err_msg=f"{name} at {s}")
        fin_js, fin_py = js["finals"][name], twin["finals"][name]
        assert fin_js["diverged"] == fin_py["diverged"] and fin_js["steps"] == fin_py["steps"], name
        if not fin_py["diverged"]:
            assert _num(fin_js["f"]) == pytest.approx(fin_py["f"], rel=RTOL, abs=1e-300), name
    for key in ("rate_gd", "rate_heavy_ball", "rate_nesterov"):
        assert js[key] == pytest.approx(twin[key], rel=1e-12), key
    np.testing.assert_allclose(js["critical"], twin["critical"], rtol=1e-12)
    np.testing.assert_allclose(js["polyak"], twin["polyak"], rtol=1e-12)
    for method, f_text, rate_text in shown["table"]:  # the table shows the same numbers, to 5 digits
        fin = twin["finals"][method]
        if fin["diverged"]:
            assert f_text == "diverged", (method, f_text)
        else:
            assert float(f_text) == pytest.approx(fin["f"], rel=1e-4), (method, f_text, fin["f"])
        if method != "adam":
            assert float(rate_text) == pytest.approx(twin["rate_" + method], rel=1e-4), (method, rate_text)
    return s


def move(page, before: dict, action) -> dict:
    """Do `action`, then return the new snapshot after checking that the drawing changed."""
    action()
    after = snapshot(page)
    assert after["updates"] > before["updates"], "the explorer did not redraw"
    assert after["canvases"][0] != before["canvases"][0], "the paths canvas did not change"
    assert all(len(c) > 2000 for c in after["canvases"]), "a canvas looks blank"
    return after


def set_slider(page, key: str, position: float):
    """Put a slider at `position` (its own units: an index for sliders over a list of values) as a drag does."""
    page.evaluate(
        """([key, position]) => {
            const el = document.querySelector(`#adamlab-explorer input[data-key="${key}"]`);
            el.value = position; el.dispatchEvent(new Event('input', {bubbles: true}));
        }""",
        [key, position],
    )


def test_the_explorer_loads_offline_without_errors(page):
    snap = snapshot(page)
    assert snap["updates"] >= 1 and len(snap["canvases"]) == 3
    assert settings_of(page) == explorer.Settings(), "the page opens at the twin's default settings"
    assert_matches_python(page, snap)
    assert not page.problems["console"] and not page.problems["exceptions"], page.problems
    assert not page.problems["blocked"] and not page.problems["failed"], page.problems
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#adamlab-explorer").screenshot(path=ARTIFACTS / "explorer.png")  # the opening view
    assert (ARTIFACTS / "explorer.png").stat().st_size > 10_000


def test_moving_the_sliders_changes_the_drawing_and_matches_python(page):
    snap = snapshot(page)
    checked = []

    def keys(key, presses, which="ArrowRight"):
        def act():
            page.locator(f'#adamlab-explorer input[data-key="{key}"]').focus()
            for _ in range(presses):
                page.keyboard.press(which)

        return act

    lr0 = settings_of(page).lr
    snap = move(page, snap, keys("lr", 5))  # the keyboard, as a reader does
    assert settings_of(page).lr == pytest.approx(lr0 + 0.05)
    checked.append(assert_matches_python(page, snap))
    snap = move(page, snap, keys("momentum", 10, "ArrowLeft"))
    checked.append(assert_matches_python(page, snap))
    snap = move(page, snap, lambda: set_slider(page, "kappa", 12))  # kappa = 100
    checked.append(assert_matches_python(page, snap))
    snap = move(page, snap, lambda: set_slider(page, "angle", 30))
    checked.append(assert_matches_python(page, snap))
    adam_before = snap["state"]["paths"]["adam"]
    for key, position in (("beta1", 0.5), ("beta2", 3), ("eps", 3), ("adam_lr", 5)):  # beta2 0.99, eps 1e-3, lr 0.05
        snap = move(page, snap, lambda k=key, p=position: set_slider(page, k, p))
        checked.append(assert_matches_python(page, snap))
    assert snap["state"]["paths"]["adam"] != adam_before
    s = settings_of(page)
    assert (s.kappa, s.angle, s.beta1, s.beta2, s.eps, s.adam_lr) == (100, 30, 0.5, 0.99, 1e-3, 0.05)
    snap = move(page, snap, lambda: page.get_by_role("button", name="Polyak's optimum").click())
    lr_star, beta_star = explorer.polyak(100)
    s = assert_matches_python(page, snap)
    assert abs(s.lr - lr_star) <= 0.005 + 1e-12 and abs(s.momentum - beta_star) <= 0.005 + 1e-12
    checked.append(s)
    # A click at a place of the plane: Playwright scrolls the canvas into view and waits until it stops moving (a
    # click at coordinates taken earlier missed it when the page's layout moved in between, under load).
    phase = page.locator("#adamlab-explorer canvas.ax-phase")
    size = phase.bounding_box()
    snap = move(page, snap, lambda: phase.click(position={"x": 0.2 * size["width"], "y": 0.3 * size["height"]}))
    s = assert_matches_python(page, snap)
    assert 0.3 < s.lr < 1.2 and 0.5 < s.momentum < 0.9, s  # the click's place in the (alpha, beta) plane
    checked.append(s)
    snap = move(page, snap, lambda: set_slider(page, "lr", 3.9))  # past the stability edge: divergence both ways
    s = assert_matches_python(page, snap)
    assert snap["state"]["finals"]["gd"]["diverged"] and explorer.explore(s)["finals"]["gd"]["diverged"]
    checked.append(s)
    assert len(set(checked)) == len(checked) >= 10


def test_unchecking_a_method_hides_its_path(page):
    before = snapshot(page)
    page.locator('#adamlab-explorer input[data-method="adam"]').uncheck()
    after = snapshot(page)
    assert after["canvases"][0] != before["canvases"][0] and after["canvases"][1] == before["canvases"][1]
    page.locator('#adamlab-explorer input[data-method="adam"]').check()
    assert snapshot(page)["canvases"][0] == before["canvases"][0]  # checked again: the same drawing
    assert not page.problems["console"] and not page.problems["exceptions"], page.problems
