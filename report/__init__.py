"""Reports on the result store: a sweep's HTML (or Markdown) report, and predictions with a stored run.

    from db import open_store, session_scope
    from report.build import build_document
    from report.html import render_html
    with session_scope(open_store()) as session:
        page = render_html(build_document(session, sweep_id, top_k=10))

Layers, each a module or folder of one concept:
  data, pairs, effects, curves, best_run, dataset  the store and the model -> frozen view records
  plots/                                           records -> PNG bytes (matplotlib Agg, no pyplot)
  sections/                                        records + PNGs -> `document` blocks, one module per section
  html, markdown                                   blocks -> a self-contained page, or report.md + PNG files
  build, cli                                       assembly; the `mnistq report` and `mnistq predict` commands
  stored, images, predict                          a run's stored model, image files, predictions

`report` reads `db` and `model` only; it never writes to the store.
"""
