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
# Harmless warnings written to stderr by NumPy (e.g. overflow while diverging) must
# not zero an honest test cell; scores are confirmed outside the kernel anyway.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"(RuntimeWarning|UserWarning|DeprecationWarning|FutureWarning)"
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 100

# Collecting downloads from a course website: put the zip file(s) in
# _grading/downloaded/<assignment>/archive/, each notebook named <student>_<assignment>.ipynb
# (for example alice_ex05_adam.ipynb), then `make collect A=<assignment>`.
c.ZipCollectApp.downloaded_directory = os.path.join("_grading", "downloaded")  # relative to the root
c.FileNameCollectorPlugin.named_regexp = r"^(?:.*/)?(?P<student_id>[^/_]+)_(?P<file_id>ex\d\d_\w+\.ipynb)$"
