"""Processes, signals, files, locks, redaction, the terminal and the environment: what relcheck
asks of the operating system. Imports nothing else of relcheck but ``errors`` and ``models``.
"""
