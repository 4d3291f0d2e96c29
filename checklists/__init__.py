"""Ready checklists shipped with relcheck (installed as ``relcheck.checklists``)."""
