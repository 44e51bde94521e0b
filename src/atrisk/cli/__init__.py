"""The ``atrisk`` command line: the front door for researchers and for ``make run``."""
