"""Datasets for mnistq: spec strings, loaders, the seed's Part 1 analysis, splits and z-scores.

Import the modules directly (this package imports nothing, so `model.data.types` stays cheap):
`model.data.prepare.prepare(config)` for training, `model.data.prepare.load_raw(spec)` for raw pixels,
`model.data.describe.describe(raw)` for analysis, `model.data.cli.data` for `mnistq data`.
"""
