"""``python -m relcheck``."""

from relcheck.launcher import main

main()
