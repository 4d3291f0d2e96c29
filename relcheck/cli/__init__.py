"""The ``relcheck`` command line: one module per command group; errors become messages and exit
codes here.
"""
