"""mnistq's leaf package: what every other package shares and nothing of ours is imported for.

`core.errors` is the one user-error hierarchy (exit code 2 at the front door), `core.text` shows user values
safely on one line, `core.masking` hides secrets in URLs and messages, `core.settings` is the one table of
`MNISTQ_*` runtime settings, `core.ids` parses ids, `core.epochs` names the fields of a learning-curve row, and `core.output` writes files only where the user meant.
Only the standard library is imported here.
"""
