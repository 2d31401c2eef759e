"""Documents: PDF rendering of shipping labels, pick lists and packing slips.

Rendering only: each renderer takes plain dataclasses (``documents.model``) and returns the PDF as ``bytes``. No
database, no services; the caller loads the data, and receivers are masked here whatever the caller passes.
"""
