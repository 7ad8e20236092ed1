"""Where students start: one place for the project's addresses, the same two steps on every page that gives them,
exercise notebooks that say how to install their checks, and (in the built book) launch and download buttons that
hand out the exercise itself.

The addresses live in ``_config.yml``; ``tools/kit.py`` derives the rest (the book's site, the student kit's URL,
the install lines, each exercise's first cell). The clean-environment test of the kit is test_student_kit.py.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import re
import shutil
import zipfile
from pathlib import Path
from urllib.parse import unquote, urljoin

import nbformat
import pytest
import tomllib
import yaml

import kit
from conftest import REPO, release_notebook, source_notebook

ASSIGNMENTS = sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir())
PLACEHOLDER = re.compile(r"\bexample\.(org|com|net)\b|\bhub\.example\b", re.IGNORECASE)
HTML = REPO / "_build" / "html"
# What ships to readers and students, besides the built book (checked in the slow test below).
SHIPPED = ("_config.yml", "README.md", "pyproject.toml", "book/**/*.md", "binder/*", "exercises/**/*.ipynb")


def _shipped_files() -> list[Path]:
    return sorted({p for pattern in SHIPPED for p in REPO.glob(pattern) if p.is_file()})


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _first_code_cell(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return next(c.source for c in nb.cells if c.cell_type == "code")


# ---------------------------------------------------------------------------------------------- the addresses


def test_no_placeholder_address_ships():
    found = [
        f"{p.relative_to(REPO)}: {m.group(0)}"
        for p in _shipped_files()
        for m in PLACEHOLDER.finditer(p.read_text(errors="replace"))
    ]
    assert not found, "placeholder addresses:\n" + "\n".join(found)


def test_the_repository_url_is_written_in_config_only():
    """Launch buttons, the kit's URL and the install lines derive from it; nothing else spells it out."""
    url = kit.repository_url()
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url), url
    spelled = [str(p.relative_to(REPO)) for p in _shipped_files() if p.name != "_config.yml" and url in p.read_text()]
    assert not spelled, f"{url} is spelled out in {spelled}: derive it from _config.yml (tools/kit.py)"


def test_launch_buttons_are_configured_and_jupyterhub_is_left_to_the_course():
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    launch = config["launch_buttons"]
    assert launch.get("binderhub_url") == "https://mybinder.org"
    assert launch.get("colab_url") == "https://colab.research.google.com"
    # Unset by default (a course sets its own hub); if set, it must be a real https address.
    hub = launch.get("jupyterhub_url")
    assert hub is None or (hub.startswith("https://") and not PLACEHOLDER.search(hub)), hub
    assert config["repository"]["branch"] == "main"
    assert (REPO / "_build" / "extra").relative_to(REPO).as_posix() in config["sphinx"]["config"]["html_extra_path"]


def test_the_site_and_kit_addresses_derive_from_the_repository():
    assert kit.site_url() == "https://adamlab.github.io/adamlab/"
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert kit.kit_url() == f"https://adamlab.github.io/adamlab/kit/adamlab-{version}-py3-none-any.whl"
    kit_only = next(a for a, setup in kit.SETUPS.items() if not setup.packages)  # needs nothing but the kit
    assert kit.install_line(kit_only) == f"%pip install {kit.kit_url()}"


def test_sync_follows_a_change_of_address(tmp_path):
    """A fork edits _config.yml and runs `tools/kit.py sync`: every page and first cell follows."""
    for name in ("_config.yml", "pyproject.toml", "README.md"):
        shutil.copy(REPO / name, tmp_path / name)
    (tmp_path / "book").mkdir()
    shutil.copy(REPO / "book" / "intro.md", tmp_path / "book" / "intro.md")
    shutil.copytree(REPO / "book" / "exercises", tmp_path / "book" / "exercises")
    shutil.copytree(REPO / "solutions", tmp_path / "solutions")
    config = (tmp_path / "_config.yml").read_text().replace(kit.repository_url(), "https://github.com/SomeCourse/optim")
    (tmp_path / "_config.yml").write_text(config)
    pyproject = (tmp_path / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(pyproject.replace(f'version = "{kit.version()}"', 'version = "9.8.7"'))
    assert kit.kit_url(tmp_path) == "https://somecourse.github.io/optim/kit/adamlab-9.8.7-py3-none-any.whl"
    changed = kit.sync(tmp_path)
    pages = len(list((REPO / "book" / "exercises").glob("*.md")))
    assert "README.md" in changed and "book/intro.md" in changed and len(changed) == 2 + pages + len(ASSIGNMENTS)
    for page in kit.instruction_pages(tmp_path):
        text = page.read_text()
        assert kit.site_url() not in text and kit.kit_url(tmp_path) in text, page
        assert set(kit.WHEEL.findall(text)) == {"adamlab-9.8.7-py3-none-any.whl"}, page
    for a in ASSIGNMENTS:
        assert kit.install_line(a, tmp_path) in _first_code_cell(tmp_path / "solutions" / a / f"{a}.ipynb")
    assert kit.sync(tmp_path) == []


# ----------------------------------------------------------------------------------- the students' two steps


def _steps(text: str) -> tuple[str, str]:
    """The two numbered steps that begin '**Install the student kit once**' and '**Get the exercise notebook**'."""
    one = re.search(r"^1\. \*\*Install the student kit once\*\*.*?(?=^2\. )", text, re.S | re.M)
    two = re.search(r"^2\. \*\*Get the exercise notebook\*\*.*?(?=\n\n|\Z)", text, re.S | re.M)
    assert one and two, "no two-step instruction"
    return _squash(one.group(0)), _squash(two.group(0))


def test_readme_intro_and_every_exercise_page_give_the_same_two_steps():
    pages = kit.instruction_pages()
    names = {p.relative_to(REPO).as_posix() for p in pages}
    assert {"README.md", "book/intro.md"} <= names
    assert {f"book/exercises/{a}.md" for a in ASSIGNMENTS} <= names
    steps = {}
    for page in pages:
        text = page.read_text()
        try:
            steps[page.relative_to(REPO).as_posix()] = _steps(text)
        except AssertionError:
            pytest.fail(f"{page.relative_to(REPO)} does not give the two steps of README.md's Students section")
    reference = steps["README.md"]
    for name, pair in steps.items():
        assert pair == reference, f"{name} words the two steps differently from README.md"
    install, _ = reference
    assert f"python -m pip install {kit.kit_url()}" in install and f"%pip install {kit.kit_url()}" in install
    for a, setup in kit.SETUPS.items():  # the exercises that need more than the kit are named, with what they need
        if setup.packages:
            assert f"exercise {int(a[2:4])}" in install, f"step 1 does not say that {a} needs {setup.packages}"


def test_no_page_sends_students_to_make_or_an_editable_install():
    for page in kit.instruction_pages():
        text = page.read_text()
        if page.name in ("README.md", "intro.md"):  # their students' section; the rest is for contributors
            text = text[text.index("## Students") : text.index("## Instructors")]
        for dead_end in ("make install", "make test", "pip install -e", "requirements.txt"):
            assert dead_end not in text, f"{page.relative_to(REPO)} tells students {dead_end!r}"


def test_every_kit_address_is_the_current_one():
    notebooks = [source_notebook(a) for a in ASSIGNMENTS] + [release_notebook(a) for a in ASSIGNMENTS]
    stale = sorted(
        f"{p.relative_to(REPO)}: {url}"
        for p in kit.instruction_pages() + notebooks
        for url in kit.KIT_URL.findall(p.read_text())
        if url != kit.kit_url()
    )
    stale += sorted(
        f"{p.relative_to(REPO)}: {name}"
        for p in kit.instruction_pages() + notebooks
        for name in kit.WHEEL.findall(p.read_text())
        if name != kit.wheel_name()
    )
    fix = "run `.venv/bin/python tools/kit.py sync`, then `make release`"
    assert not stale, f"stale kit addresses ({fix}):\n" + "\n".join(stale)
    site = [p for p in (REPO / "README.md", REPO / "book" / "intro.md") if kit.site_url() not in p.read_text()]
    assert not site, f"{site} do not name the book's site {kit.site_url()}"


# ------------------------------------------------------------------------------------------ the first cells


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_first_cell_is_the_kit_guard(assignment):
    assert assignment in kit.SETUPS, f"{assignment}: add its grading module to the exercise registry"
    expected = kit.first_cell(assignment)
    assert _first_code_cell(source_notebook(assignment)) == expected, (
        f"solutions/{assignment}: first cell is not tools/kit.py's (run `.venv/bin/python tools/kit.py sync`)"
    )
    assert _first_code_cell(release_notebook(assignment)) == expected, f"exercises/{assignment}: run make release"


@contextlib.contextmanager
def _without(prefixes: tuple[str, ...]):
    """Imports of these modules fail with ModuleNotFoundError, as in an environment that lacks them."""
    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name.split(".")[0] in prefixes:
            raise ModuleNotFoundError(f"No module named {name.split('.')[0]!r}", name=name.split(".")[0])
        return real(name, *args, **kwargs)

    builtins.__import__ = fake
    try:
        yield
    finally:
        builtins.__import__ = real


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_first_cell_without_the_kit_prints_the_install_line(assignment):
    """In-process (the real kernel run is test_student_kit.py's): no traceback, the exact line to run."""
    out = io.StringIO()
    with _without(("adamlab", "torch", "matplotlib", "sklearn", "tqdm")), contextlib.redirect_stdout(out):
        exec(compile(kit.first_cell(assignment), f"<{assignment} first cell>", "exec"), {})
    printed = out.getvalue()
    assert "No module named" in printed and kit.install_line(assignment) in printed.splitlines(), printed


# --------------------------------------------------------------------------------------------------- binder


def test_binder_installs_adamlab_and_what_the_exercises_need():
    lines = [line.split("#")[0].strip() for line in (REPO / "binder" / "requirements.txt").read_text().splitlines()]
    lines = [line for line in lines if line]
    local = [line for line in lines if line.startswith(".")]
    assert local and re.fullmatch(r"\.(\[[\w,]+\])?", local[0]), "binder must install adamlab from the repository"
    extras = set(re.findall(r"[\w]+", local[0][1:]))
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras <= set(declared) and "book" in extras, extras  # [book]: torch, matplotlib, scikit-learn, tqdm
    pinned = [r.split("#")[0].strip() for r in (REPO / "requirements.txt").read_text().splitlines()]
    torch_pin = next(r for r in pinned if r.startswith("torch=="))
    assert f"{torch_pin}+cpu" in lines, f"binder's torch must be the CPU build of {torch_pin}"
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    runtime = (REPO / "binder" / "runtime.txt").read_text().strip()
    minimum = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert re.fullmatch(r"python-3\.\d+", runtime) and int(runtime.split(".")[1]) >= int(minimum.split(".")[1])


# ------------------------------------------------------------------------------------------ the built book


def _built() -> Path:
    if not (HTML / "index.html").exists():
        pytest.fail("the book is not built: run `make book` (make test does)")
    return HTML


def _buttons(soup, group: str) -> list:
    menu = soup.select_one(f"div.dropdown-{group}")
    return menu.select("a[href]") if menu else []


@pytest.mark.slow  # needs `make book`
def test_built_exercise_pages_launch_and_download_the_exercise():
    from bs4 import BeautifulSoup

    html = _built()
    org_repo = kit.repository_url().removeprefix("https://github.com/")
    for a in ASSIGNMENTS:
        page = html / "book" / "exercises" / f"{a}.html"
        soup = BeautifulSoup(page.read_text(), "html.parser")
        notebook = f"exercises/{a}/{a}.ipynb"
        launch = {b.get_text(strip=True): b["href"] for b in _buttons(soup, "launch-buttons")}
        assert launch == {
            "Binder": f"https://mybinder.org/v2/gh/{org_repo}/main?urlpath=tree/{notebook}",
            "Colab": f"https://colab.research.google.com/github/{org_repo}/blob/main/{notebook}",
        }, f"{a}: {launch}"
        downloads = [b["href"] for b in _buttons(soup, "download-buttons")]
        assert len(downloads) == 1 and downloads[0].endswith(f"/{a}.ipynb"), f"{a}: {downloads}"
        target = Path(unquote(urljoin(page.as_uri(), downloads[0]).removeprefix("file://")))
        assert target.read_bytes() == release_notebook(a).read_bytes(), f"{a}: the download is not the exercise"
        assert "_sources" not in downloads[0]
        assert not (html / "_sources" / "book" / "exercises" / f"{a}.ipynb").exists(), f"{a}: page-source notebook"
    # Colab opens only notebooks: the chapters (MyST markdown) have no Colab button.
    chapter = BeautifulSoup((html / "book" / "adam.html").read_text(), "html.parser")
    assert [b.get_text(strip=True) for b in _buttons(chapter, "launch-buttons")] == ["Binder"]


@pytest.mark.slow  # needs `make book`
def test_built_book_serves_the_kit_and_no_placeholder():
    html = _built()
    wheel = html / "kit" / kit.wheel_name()
    assert wheel.exists(), f"{wheel.relative_to(REPO)} is missing: make book builds it (tools/kit.py build)"
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        metadata = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "adamlab/grading/__init__.py" in names and "adamlab/grading/checks.py" in names
    intro = (html / "book" / "intro.html").read_text()
    assert f'href="../kit/{kit.wheel_name()}"' in intro, "the intro's download link to the kit is missing"
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert [r.split()[1].split(">")[0].split("<")[0].lower() for r in requires] == ["numpy"], requires
    found = [
        f"{p.relative_to(html)}: {m.group(0)}"
        for p in html.rglob("*")
        if p.is_file() and p.suffix in (".html", ".ipynb", ".txt", ".md", ".js")
        for m in PLACEHOLDER.finditer(p.read_text(errors="replace"))
    ]
    assert not found, "placeholder addresses in the built book:\n" + "\n".join(found[:20])
