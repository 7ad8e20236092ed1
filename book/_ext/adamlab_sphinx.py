"""Sphinx fixes for the adamlab book (loaded through `sphinx: local_extensions:` in _config.yml).

Sphinx 7.4 lists an inline script twice when an extension adds it after the builder started: once as
registered (file name ``None``) and once more in ``prepare_writing`` (file name ``''``), and the two do not
compare equal. sphinx-thebe's ``const THEBE_JS_URL = ...`` then runs twice and every page logs
"SyntaxError: Identifier 'THEBE_JS_URL' has already been declared". Drop such repeats before pages are
written. tests/tools/test_browser.py fails on any console error, this one included.
"""

from __future__ import annotations


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


def setup(app):
    # Early (priority < 500) so that later handlers see one copy of each script.
    app.connect("html-page-context", drop_repeated_scripts, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
