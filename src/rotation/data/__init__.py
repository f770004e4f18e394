"""The data layer: providers, cache, alignment (see DESIGN.md's data flow).

Importing this package is cheap (no pandas): the CLI reads ``SOURCES`` for its ``--source``
choices without loading the data stack.
"""

SOURCES = ("yfinance", "fred", "sec", "alfred")
"""Provider names, as the cache manifest and the CLI's ``--source`` spell them (``alfred``: a
FRED series' vintages, every real-time period, from the FRED API with ``FRED_API_KEY``)."""
