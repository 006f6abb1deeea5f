"""`mnistq ui`: a live, read-only web dashboard over the result store.

Pages for sweeps, one sweep (leaderboard, curves, effects, pairs, rungs, downloads) and one run (config, history,
confusion matrix, misclassified digits, weights). `ui` reads `db` and reuses `report`'s analyses; nothing of ours
imports `ui`. Updates reach the browser by polling a change cursor kept by the store (`db.queries.changes`).
"""
