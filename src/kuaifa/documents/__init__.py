"""Documents: PDF rendering of shipping labels, pick lists and packing slips.

Rendering only: each renderer takes plain dataclasses (``documents.model``) and returns the PDF as ``bytes``. No
database, no services; the caller loads the data, and receivers are masked here whatever the caller passes.

The PDFs' streams are compressed and written as binary, not ASCII85 on top of the compression (reportlab's default,
for mail-safe 7-bit files): ASCII85 makes every page stream a quarter larger and costs a pure-Python encoding pass
per stream (on 1,000 labels ~15 % of the rendering time) for a file that goes to a printer or a browser.
"""

from reportlab import rl_config

rl_config.useA85 = 0
