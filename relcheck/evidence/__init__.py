"""Evidence across releases: the previous release as a baseline, what changed since,
regression gates a checklist declares, and release notes.

Modules, each with one job and no cycles (``facts`` is imported by the others):

- ``facts``: the numbers a step result measured, by name (tests, coverage, p95 ...)
- ``baseline``: find the previous release's record, or its tag's trailers
- ``previous``: which release came before when the history here has no tag of it
- ``compare``: what changed between two runs, as data, lines and Markdown
- ``gates``: the checklist's ``baseline:`` rules, judged against the baseline
- ``notes``: release notes in Markdown
- ``trend``: the release runs of the recent past, oldest first
"""

# What a run says, and a gate judges by, when there is no previous release to compare with.
NO_BASELINE = "no previous release to compare with (first release)"
