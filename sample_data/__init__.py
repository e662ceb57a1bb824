"""Tools that write sample landing zones (not part of the runtime package: its dependencies are
the `sample` extra, `pip install -e .[sample]`)."""
