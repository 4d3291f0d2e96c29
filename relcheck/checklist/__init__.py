"""The checklist file: read YAML with positions, validate it against the format, cache it, describe
it (schema, reference), and write one for a project (``init``).
"""
