"""``python -m relcheck``."""

from relcheck.cli import main

main()
