"""Sphinx fixes for the adamlab book (loaded through `sphinx: local_extensions:` in _config.yml).

**Repeated inline scripts.** Sphinx 7.4 lists an inline script twice when an extension adds it after the
builder started: once as registered (file name ``None``) and once more in ``prepare_writing`` (file name ``''``),
and the two do not compare equal. sphinx-thebe's ``const THEBE_JS_URL = ...`` then runs twice and every page logs
"SyntaxError: Identifier 'THEBE_JS_URL' has already been declared". Drop such repeats before pages are
written. tests/tools/test_browser.py fails on any console error, this one included.

**Exercise pages hand out the exercise.** sphinx-book-theme builds an exercise page's launch buttons (Binder,
Colab, JupyterHub) and its download menu from the page's own source, ``book/exercises/exNN_name.md``: Colab
cannot open it, and the menu's ``.ipynb`` is a copy of the page with the exercise's name and no nbgrader
metadata, easy to work on and submit by mistake. On these pages the launch buttons open the released notebook
``exercises/exNN_name/exNN_name.ipynb`` instead, the download menu offers that notebook (the file the page's
``{download}`` link delivers) and the print button, and the page-source copies are not offered. Colab opens only
``.ipynb`` files, so chapter pages (MyST markdown) get no Colab button.

**The student kit.** The wheel that ``tools/kit.py build`` puts in ``_build/extra/kit/`` is served at ``kit/`` of
the site through ``html_extra_path``. ``make book`` builds it first; any other ``jupyter-book build`` (``make bench``'s
included) builds it here, when its sources changed, so that no site goes out without it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sphinx.errors import ExtensionError
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
EXERCISE_PAGES = "book/exercises/"


def _key(js) -> tuple:
    return (js.filename or "", js.priority, tuple(sorted(js.attributes.items())))


def _unique(scripts: list) -> list:
    seen: set = set()
    out = []
    for js in scripts:
        if _key(js) not in seen:
            seen.add(_key(js))
            out.append(js)
    return out


def drop_repeated_scripts(app, pagename, templatename, context, doctree) -> None:
    builder = app.builder
    for name in ("_orig_js_files", "_js_files"):
        scripts = getattr(builder, name, None)
        if isinstance(scripts, list):
            scripts[:] = _unique(scripts)
    if isinstance(context.get("script_files"), list):
        context["script_files"][:] = _unique(context["script_files"])


def _kit(app):
    """tools/kit.py, where the kit's name and place are derived (loaded by path: tools/ is no package)."""
    spec = importlib.util.spec_from_file_location("adamlab_kit", Path(app.confdir) / "tools" / "kit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_student_kit(app, config) -> None:
    """The kit in _build/extra/kit/ before the build copies html_extra_path (rebuilt only if src/ changed)."""
    kit = _kit(app)
    extra = [(Path(app.confdir) / p).resolve() for p in config.html_extra_path]
    if kit.EXTRA_DIR.resolve() not in extra:
        where = kit.EXTRA_DIR.relative_to(kit.ROOT)
        raise ExtensionError(f"html_extra_path must list {where}: the kit is served from there")
    try:
        kit.build()
    except Exception as exc:
        raise ExtensionError(
            f"could not build the student kit ({exc}): try `.venv/bin/python tools/kit.py build`"
        ) from exc


def _group(context, label: str) -> dict | None:
    return next((b for b in context.get("header_buttons", []) if b.get("label") == label), None)


def exercise_buttons(app, pagename, templatename, context, doctree) -> None:
    """Launch and download buttons of exercise pages point at the exercise; no Colab button on .md pages."""
    launch = _group(context, "launch-buttons")
    source = pagename + Path(str(app.env.doc2path(pagename))).suffix  # as the theme wrote it into the URLs
    if not pagename.startswith(EXERCISE_PAGES):
        if launch and not source.endswith(".ipynb"):
            launch["buttons"] = [b for b in launch["buttons"] if b.get("text") != "Colab"]
        return
    assignment = pagename[len(EXERCISE_PAGES) :]
    notebook = f"exercises/{assignment}/{assignment}.ipynb"
    if launch:
        for button in launch["buttons"]:
            if "url" in button:
                if source not in button["url"]:
                    LOGGER.warning(f"{pagename}: cannot point the {button.get('text')} button at {notebook}")
                button["url"] = button["url"].replace(source, notebook)
    download = _group(context, "download-buttons")
    if download:
        entry = app.env.dlfiles.get(notebook)
        if entry is None:
            LOGGER.warning(f"{pagename}: no {{download}} link to {notebook} on the page: the menu needs one")
        else:
            exercise = {
                "type": "link",
                "url": context["pathto"](f"_downloads/{entry[1]}", 1),
                "text": f"{assignment}.ipynb",
                "tooltip": "Download the exercise notebook",
                "icon": "fas fa-code",
                "label": "download-exercise-button",
            }
            printing = [b for b in download["buttons"] if b.get("label") == "download-pdf-button"]
            download["buttons"] = [exercise, *printing]
    # The theme copied the page's executed notebook into _sources/ for its own download button: not here.
    for copy in (Path(app.outdir) / "_sources" / pagename).parent.glob(f"{assignment}.ipynb"):
        copy.unlink()
    context.pop("ipynb_source", None)


def setup(app):
    # Early (priority < 500) so that later handlers see one copy of each script.
    app.connect("html-page-context", drop_repeated_scripts, priority=100)
    # After sphinx-book-theme's add_launch_buttons and add_header_buttons (priority 501).
    app.connect("html-page-context", exercise_buttons, priority=600)
    # Before Sphinx's own check of html_extra_path (priority 800), which drops a missing folder with a warning.
    app.connect("config-inited", build_student_kit, priority=500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
