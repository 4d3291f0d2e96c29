"""Built-in runners, one module each, registered through the ``relcheck.runners`` entry points."""
