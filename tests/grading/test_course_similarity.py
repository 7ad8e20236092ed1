"""Similarity flags: a renamed copy is flagged, honest different implementations are not, blanks never match."""

from __future__ import annotations

import nbformat
import pytest

from adamlab.grading.confirm.samples import ASSIGNMENT  # a real exercise (Adam's), for its solution notebook
from adamlab.grading.course.similarity import normalise, scan, similar_pairs
from conftest import REPO, source_notebook

PUBLIC = '''def batches(X, y, batch_size, rng=None):
    """Minibatches of (X, y), shuffled when rng is given; the last one may be smaller."""
    ### BEGIN SOLUTION
    order = np.arange(len(X)) if rng is None else rng.permutation(len(X))
    out = []
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        out.append((X[idx], y[idx]))
    return out
    ### END SOLUTION
'''
STUB = '''def batches(X, y, batch_size, rng=None):
    """Minibatches of (X, y), shuffled when rng is given; the last one may be smaller."""
    # YOUR CODE HERE
    raise NotImplementedError()
'''
ALICE = '''def batches(X, y, batch_size, rng=None):
    """Minibatches of (X, y), shuffled when rng is given; the last one may be smaller."""
    n = X.shape[0]
    perm = rng.permutation(n) if rng is not None else np.arange(n)
    result = []
    i = 0
    while i < n:
        chosen = perm[i:i + batch_size]
        result.append((X[chosen], y[chosen]))
        i += batch_size
    # done: every sample used once
    return result
'''
# Alice's code with every name changed, other comments and constants, a docstring and different spacing.
COPY = '''def batches(X, y, batch_size, rng=None):
    """Minibatches of (X, y), shuffled when rng is given; the last one may be smaller."""
    count = X.shape[ 0 ]
    shuffled = rng.permutation(count) if rng is not None else np.arange(count)
    batches_out = []
    k = 0   # my own counter
    while k < count:
        sel = shuffled[k:k+batch_size]
        batches_out.append((X[sel], y[sel]))
        k += batch_size
    return batches_out
'''
BOB = '''def batches(X, y, batch_size, rng=None):
    """Minibatches of (X, y), shuffled when rng is given; the last one may be smaller."""
    index = np.arange(len(y))
    if rng is not None:
        rng.shuffle(index)
    n_full = len(y) // batch_size
    pieces = [index[b * batch_size:(b + 1) * batch_size] for b in range(n_full)]
    if len(y) % batch_size:
        pieces.append(index[n_full * batch_size:])
    return [(X[p], y[p]) for p in pieces]
'''
CAROL = '''def batches(X, y, batch_size, rng=None):
    """Minibatches of (X, y), shuffled when rng is given; the last one may be smaller."""
    if rng is not None:
        p = rng.permutation(len(X))
        X, y = X[p], y[p]
    splits = list(range(batch_size, len(X), batch_size))
    return list(zip(np.split(X, splits), np.split(y, splits)))
'''
# The public solution with other names and a comment: "identical to the public solution".
FROM_PUBLIC = '''def batches(X, y, batch_size, rng=None):
    """Minibatches of (X, y), shuffled when rng is given; the last one may be smaller."""
    o = np.arange(len(X)) if rng is None else rng.permutation(len(X))
    res = []
    for s in range(0, len(X), batch_size):  # copied? never!
        j = o[s:s + batch_size]
        res.append((X[j], y[j]))
    return res
'''


def flags_for(**cells):
    return similar_pairs({(s, "hw1"): [src] for s, src in cells.items()}, {"hw1": [PUBLIC]})


def test_renamed_copy_is_flagged_and_honest_implementations_are_not():
    flags = flags_for(alice=ALICE, copy=COPY, bob=BOB, carol=CAROL)
    assert [(f["kind"], f["students"]) for f in flags] == [("pair", ["alice", "copy"])]
    assert flags[0]["similarity"] >= 0.95 and not flags[0]["verbatim"]


def test_a_verbatim_copy_says_so():
    (flag,) = flags_for(alice=ALICE, twin=ALICE + "\n\n")
    assert flag["similarity"] == 1.0 and flag["verbatim"]


def test_the_public_solution_renamed_is_flagged():
    flags = flags_for(dave=FROM_PUBLIC, bob=BOB)
    assert [(f["kind"], f["students"]) for f in flags] == [("public", ["dave"])]


def test_blank_and_trivial_submissions_never_match():
    assert flags_for(e1=STUB, e2=STUB, e3=STUB) == []
    short = "def batches(X, y, batch_size, rng=None):\n    return [(X, y)]\n"
    assert flags_for(s1=short, s2=short) == []


def test_normalisation_ignores_names_constants_comments_and_docstrings():
    a = normalise(["def f(a, b=2):\n    'doc'\n    c = a * 3.5  # times\n    return c + b\n"])
    b = normalise(["def g(x, y=7):\n    z = x * 1e-3\n    return z + y\n"])
    assert a == b
    assert normalise(["def f(a):\n    return a - 1\n"]) != normalise(["def f(a):\n    return a + 1\n"])


def test_cells_that_do_not_parse_are_still_compared():
    broken = ALICE + "\n    this is not python (\n"
    flags = flags_for(alice=ALICE, broken=broken, bob=BOB)
    assert [f["students"] for f in flags] == [["alice", "broken"]]


def test_the_textbook_update_written_by_many_is_not_a_pair():
    """Honest adam_step solutions all look like the public one: each is compared with it, not paired."""
    from adamlab.grading.course.similarity import solution_cells, solution_code

    public = solution_cells(source_notebook(ASSIGNMENT))
    (reference,) = solution_code(public)
    honest = {
        "ann": reference.replace("m_hat", "mh").replace("v_hat", "vh"),
        "ben": reference.replace("np.sqrt(v_hat) + eps", "np.sqrt(v_hat + eps)"),  # a mistake of his own
        "cat": reference.replace("theta = theta - ", "new = theta - ").replace("return theta", "return new"),
    }
    flags = similar_pairs({(s, ASSIGNMENT): [c] for s, c in honest.items()}, {ASSIGNMENT: public})
    assert {f["kind"] for f in flags} == {"public"} and {f["students"][0] for f in flags} == set(honest)


def test_never_across_assignments():
    submissions = {("alice", "hw1"): [ALICE], ("copy", "hw2"): [COPY]}
    assert similar_pairs(submissions, {}) == []


@pytest.mark.slow
def test_scan_reads_the_class_and_the_public_solutions(tmp_path):
    """On real notebooks: the release (blank) twice, the public solution once, and its renamed copy."""
    source = nbformat.read(source_notebook(ASSIGNMENT), as_version=4)
    release = nbformat.read(REPO / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    (tmp_path / "solutions" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(source, tmp_path / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")

    def submit(student, nb):
        folder = tmp_path / "_grading" / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")

    submit("blank1", release)
    submit("blank2", release)
    solved = nbformat.read(source_notebook(ASSIGNMENT), as_version=4)
    for cell in solved.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            cell.source = "\n".join(
                line.replace("m_hat", "mh").replace("v_hat", "vh")
                for line in cell.source.splitlines()
                if "SOLUTION" not in line
            )
    submit("copier", solved)
    flags = scan(tmp_path, [(student, ASSIGNMENT) for student in ("blank1", "blank2", "copier")])
    assert [(f["kind"], f["students"]) for f in flags] == [("public", ["copier"])]
