"""The grader's side: confirm scores where student code cannot reach (:mod:`.verify` in a :mod:`.sandbox`),
grade a class (:mod:`.pipeline`, ``make grade``) and its command line (:mod:`.cli`)."""
