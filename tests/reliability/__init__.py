"""The reliability suite: faults, bad input and secrets, each counted in the figures the
Guarantees page (docs/explanation/guarantees.md) quotes
(`python -m pytest tests/reliability -q`).

To extend it:

- a bad checklist: add a case to ``CASES`` in ``test_bad_checklists.py``;
- any scenario that runs relcheck: end it with ``support.check_run(...)``, which counts
  and asserts what every scenario must show (no traceback, no tag after a failure, no
  corrupt or lost record, no process left running), and add what it tried to
  ``support.FIGURES``;
- a new output (a report format, a hook log): write it under the test's ``tmp_path``
  and ``test_secrets.report_files`` searches it for the canaries;
- a release step: ``support.release_step`` is a real third-party runner that tags with
  git (argv only) and leaves a sentinel file, so "no release after a failure" is seen
  on disk and in git.
"""
