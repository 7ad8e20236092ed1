"""What an instructor needs after ``make grade``: the class report, exports, late work and similarity flags.

- :mod:`.report`: ``_grading/report.md`` and a self-contained ``report.html`` (score histograms, pass rate per
  check, the most frequent named mistakes, flagged submissions, similarity flags);
- :mod:`.exports`: a Canvas gradebook CSV, as an nbgrader ``ExportPlugin``;
- :mod:`.late`: due dates, per-student extensions and the late penalty, computed by nbgrader's late-submission
  plugin configured in ``nbgrader_config.py``;
- :mod:`.similarity`: pairs of near-identical solutions, and solutions identical to the public ones — a flag for a
  human, never a score change;
- :mod:`.feedback`: the preprocessor that keeps hidden tests out of the feedback pages.

Nothing here imports another submodule on import: each caller imports what it uses.
"""
