"""Who git says the user is."""

from __future__ import annotations

from relcheck.git.door import git


def user_identity(root: str) -> str:
    """``Name <email>`` as git would sign a commit here (user.name/user.email, or the
    GIT_AUTHOR_* variables); the login name when git knows nobody."""
    ident = git(root, "var", "GIT_AUTHOR_IDENT", check=False)
    if ">" in ident:
        return ident.rsplit(">", 1)[0] + ">"
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
