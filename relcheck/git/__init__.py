"""The repository: the one door to git (``repo``), tags and what they say about releases, hooks,
and verifying a release tag.
"""
