"""Feedback pages that never show hidden-test source.

What nbgrader 0.9 does on its own: ``generate_feedback`` converts the *autograded* notebook with two
preprocessors only (``GetGrades``, ``CSSHTMLHeaderPreprocessor``). In that notebook every test cell was restored
from the gradebook by ``autograde`` (``OverwriteCells``), which stored the *source* version of each cell: the
``### BEGIN HIDDEN TESTS`` region is back in the cell's input, and the feedback page prints it. A failing hidden
test leaks it a second time: IPython's traceback quotes the failing line; and code in the student's kernel can
print the source of later cells (an IPython ``pre_run_cell`` hook sees every cell's text).

:class:`HideHiddenTests`, listed in ``c.GenerateFeedback.preprocessors`` in ``nbgrader_config.py``:

- removes each hidden-test region from every cell's input (nbgrader's ``ClearHiddenTests`` removal, with a line
  saying that a hidden test ran there), without failing on a non-grade cell;
- reduces each error in a test cell that had a hidden region to ``ErrorName: message`` (the grader's message
  says what is wrong; the traceback frames would quote the test);
- withholds any output, in any cell, that quotes a line of hidden-test code.
"""

from __future__ import annotations

import html
import re

from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
WITHHELD = "[output withheld: it quotes hidden test code]"
HIDDEN_NOTE = "# (hidden test: its code is not shown)"
MIN_QUOTED = 12  # shorter hidden lines ("x = 1") are too common to mean a leak


class HideHiddenTests(ClearHiddenTests):
    """Strip hidden tests from the feedback's inputs and outputs (see the module docstring).

    Reads the delimiters of ``c.ClearHiddenTests`` (``begin_test_delimeter``, ``end_test_delimeter``)."""

    def preprocess(self, nb, resources):
        self._hidden_lines: set[str] = set()
        for cell in nb.cells:
            self._hidden_lines |= set(self._hidden_region_lines(cell.source))
        nb, resources = super().preprocess(nb, resources)
        return nb, resources

    def _hidden_region_lines(self, source: str) -> list[str]:
        lines, inside = [], False
        for line in source.split("\n"):
            if self.begin_test_delimeter in line:
                inside = True
            elif self.end_test_delimeter in line:
                inside = False
            elif inside:
                text = line.strip()
                if len(text) >= MIN_QUOTED and not text.startswith("#"):
                    lines.append(text)
        return lines

    def _leaks(self, text: str) -> bool:
        plain = html.unescape(ANSI.sub("", text))
        return any(line in plain for line in self._hidden_lines)

    def preprocess_cell(self, cell, resources, cell_index):
        had_hidden = False
        if self.begin_test_delimeter in cell.source:
            lines, inside = [], False
            for line in cell.source.split("\n"):
                if self.begin_test_delimeter in line:
                    inside = had_hidden = True
                    indent = line[: len(line) - len(line.lstrip())]
                    lines.append(indent + HIDDEN_NOTE)
                elif self.end_test_delimeter in line:
                    inside = False
                elif not inside:
                    lines.append(line)
            cell.source = "\n".join(lines)
        if cell.cell_type != "code":
            return cell, resources
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and had_hidden and utils.is_grade(cell):
                output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
            if self._hidden_lines and self._leaks(_output_text(output)):
                output = _withheld(output)
            outputs.append(output)
        cell.outputs = outputs
        return cell, resources


def _output_text(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") == "error":
        return "\n".join([output.get("evalue", ""), *output.get("traceback", [])])
    data = output.get("data", {})
    return "\n".join(v if isinstance(v, str) else "\n".join(v) for k, v in data.items() if k.startswith("text/"))


def _withheld(output):
    from nbformat.v4 import new_output

    if output.get("output_type") == "error":
        return new_output("error", ename=output.get("ename", "Error"), evalue=WITHHELD, traceback=[WITHHELD])
    return new_output("stream", name="stdout", text=WITHHELD + "\n")
