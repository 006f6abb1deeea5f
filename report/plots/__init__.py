"""Matplotlib figures rendered to PNG bytes (Agg, fixed style and dpi, no pyplot state).

Every function takes plain arrays or report records and returns the PNG's bytes; the same inputs give the
same bytes, so a report is reproducible from the store.
"""
