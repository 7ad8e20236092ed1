"""nbgrader configuration for adamlab (read by every `nbgrader` command run from the repository root)."""

import os

c = get_config()  # noqa: F821 (injected by traitlets)
here = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "adamlab"
c.CourseDirectory.root = here
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# Everything that grading writes lives under the git-ignored _grading/.
c.CourseDirectory.submitted_directory = os.path.join("_grading", "submitted")
c.CourseDirectory.autograded_directory = os.path.join("_grading", "autograded")
c.CourseDirectory.feedback_directory = os.path.join("_grading", "feedback")
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(here, "_grading", "gradebook.db")
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".DS_Store"]

# The student's stub: an explicit error, never a silent wrong answer.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Autograde: restore locked cells (tests included) even when a student deleted them.
c.OverwriteCells.add_missing_cells = True
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
# A cell that times out is interrupted, and nbgrader then waits `iopub_timeout` (4 s by default) for the
# kernel to report, or fails the whole notebook: no executed notebook, no feedback. IPython can take seconds
# to format a traceback through torch's import, far longer on a loaded grading machine: give an
# interrupted cell as long to report as a cell has to run.
c.Execute.iopub_timeout = 60
# Harmless warnings written to stderr by NumPy (e.g. overflow while diverging) must
# not zero an honest test cell; scores are confirmed outside the kernel anyway.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"(RuntimeWarning|UserWarning|DeprecationWarning|FutureWarning)"
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 100

# Collecting downloads from a course website: put the zip file(s) in
# _grading/downloaded/<assignment>/archive/, each notebook named <student>_<assignment>.ipynb
# (a student id without underscores), then `make collect A=<assignment>`.
c.ZipCollectApp.downloaded_directory = os.path.join("_grading", "downloaded")  # relative to the root
c.FileNameCollectorPlugin.named_regexp = r"^(?:.*/)?(?P<student_id>[^/_]+)_(?P<file_id>ex\d\d_\w+\.ipynb)$"

# Feedback never shows hidden tests: autograde restores each test cell from the gradebook with its
# "### BEGIN HIDDEN TESTS" region, and nbgrader's feedback would print it (and a failing hidden test's
# traceback would quote it). HideHiddenTests strips both (adamlab/grading/course/feedback.py).
# Named, not imported: nbconvert imports them when feedback is generated, not on every nbgrader command.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "adamlab.grading.course.feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# Late work: due dates in _grading/due_dates.csv, extensions in _grading/extensions.csv (see the instructor
# guide). Without a due date nothing is late. The penalty is applied to the confirmed score.
c.AssignLatePenalties.plugin_class = "adamlab.grading.course.late.SubMarksPerHour"
c.SubMarksPerHour.points_per_hour = 0.5
c.SubMarksPerHour.grace_minutes = 15

# `nbgrader export --exporter=adamlab.grading.course.exports.CanvasExportPlugin --to=_grading/canvas.csv`:
# a gradebook exported from your Canvas course gives the students' Canvas ids and the assignments' ids.
c.CanvasExportPlugin.roster = os.path.join(here, "_grading", "canvas_roster.csv")
c.CanvasExportPlugin.match_column = "SIS Login ID"
