"""Staging-versus-production configuration comparison, used by the ``config-drift`` runner.

``sources`` reads a file or URL into data, ``paths`` flattens it to dotted paths,
``compare`` and ``rules`` judge each path, ``lockfiles`` compares pinned dependencies,
``secrets`` keeps secret values out of every output, and ``report`` renders the table.
"""
