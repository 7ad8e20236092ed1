"""tools/portability.py: it executes pages under another machine's configuration and reports what failed.

``make test`` runs ``tools/portability.py --other-machine`` over every page right after ``make book``
(torch's plainest kernels, one thread, base seed 1): a sentence that only held for this machine's run
fails there. These tests check the tool itself on one page, quickly.
"""

import portability
from conftest import REPO

OTHER_MACHINE = {"ATEN_CPU_CAPABILITY": "default", "OMP_NUM_THREADS": "1", "ADAMLAB_SEED": "1", "ADAMLAB_DEVICE": "cpu"}


HEADER = (
    "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
    "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n\n"
)


def probe_page(name: str, guard: str) -> str:
    return HEADER + f"# {name}\n\n```{{code-cell}} ipython3\nimport os\nimport torch\n{guard}\n```\n"


def test_pages_execute_under_the_other_machines_configuration_and_a_failing_guard_is_reported(tmp_path):
    """Two probe pages in one run: one whose guard holds only on the other machine (plain kernels, one thread,
    seed 1), one whose guard fails there."""
    holds = REPO / "book" / f"_portability_holds_{tmp_path.name}.md"
    fails = REPO / "book" / f"_portability_fails_{tmp_path.name}.md"
    holds.write_text(
        probe_page(
            "Holds",
            "assert os.environ['OMP_NUM_THREADS'] == '1' and os.environ['ADAMLAB_SEED'] == '1'\n"
            "assert torch.backends.cpu.get_cpu_capability() == 'DEFAULT', torch.backends.cpu.get_cpu_capability()",
        )
    )
    fails.write_text(probe_page("Fails", "assert os.environ['OMP_NUM_THREADS'] != '1', 'threads'"))
    try:
        passed, total, failed, _ = portability.run(OTHER_MACHINE, 2, [holds, fails])
    finally:
        holds.unlink()
        fails.unlink()
    assert (passed, total) == (1, 2), failed
    assert len(failed) == 1 and fails.stem in failed[0], failed


def test_the_capabilities_this_cpu_supports_start_with_default():
    found = portability.supported_capabilities()
    assert found[0] == "default" and set(found) <= {"default", "avx2", "avx512"}
