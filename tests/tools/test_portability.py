"""tools/portability.py: it executes pages under another machine's configuration and reports what failed.

``make test`` runs ``tools/portability.py --other-machine`` over every page right after ``make book``
(torch's plainest kernels, one thread, base seed 1): a sentence that only held for this machine's run
fails there. These tests check the tool itself on one page, quickly.
"""

import portability
from conftest import REPO

OTHER_MACHINE = {"ATEN_CPU_CAPABILITY": "default", "OMP_NUM_THREADS": "1", "ADAMLAB_SEED": "1", "ADAMLAB_DEVICE": "cpu"}


def test_a_page_executes_under_the_other_machines_configuration():
    passed, total, failed, _ = portability.run(OTHER_MACHINE, 1, [REPO / "book" / "adaptive.md"])
    assert (passed, total, failed) == (1, 1, [])


def test_a_page_whose_guard_fails_is_reported(tmp_path, monkeypatch):
    page = REPO / "book" / f"_portability_probe_{tmp_path.name}.md"
    page.write_text(
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
        "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n\n"
        "# Probe\n\n```{code-cell} ipython3\nimport os\nassert os.environ['OMP_NUM_THREADS'] != '1', 'threads'\n```\n"
    )
    try:
        passed, total, failed, _ = portability.run(OTHER_MACHINE, 1, [page])
    finally:
        page.unlink()
    assert passed == 0 and total == 1 and failed, failed


def test_the_capabilities_this_cpu_supports_start_with_default():
    found = portability.supported_capabilities()
    assert found[0] == "default" and set(found) <= {"default", "avx2", "avx512"}
