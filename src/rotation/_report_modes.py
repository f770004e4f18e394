"""How a report page loads plotly.js (``rotation.report.style.plotly_tag``).

Kept apart so that the CLI offers the choices without importing the report (numpy, pandas).
"""

from __future__ import annotations

PLOTLY_MODES = ("inline", "shared", "cdn")
"""``inline``: in the page, gzip-compressed and unpacked by the browser (the file alone opens
offline); ``shared``: one ``plotly-<version>.min.js`` written once in the folder above the
page's folder (the results folder) and referenced relatively (opens offline while that file
sits there); ``cdn``: plotly's CDN at the pinned version, with a Subresource Integrity hash
(needs the network)."""
