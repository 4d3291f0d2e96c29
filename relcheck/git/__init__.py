"""The repository: the one door to git (``door``), where the repository is, refs, the work
tree, tags and remotes; what tags say about releases (``releases``, ``versions``,
``tagmessage``), hooks, and verifying a release tag.
"""
