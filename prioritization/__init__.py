"""Pure decision maths for Tasharuk: scoring, aggregation, ranking and budget rules.

Nothing here imports Flask, SQLAlchemy or the app: modules take plain data and return
frozen dataclasses, so they can be tested directly and shown on public pages.

- prioritization.aggregation: committee scores -> ranking, disagreement, Kendall's W,
  z-score normalisation, weight-sensitivity analysis (docs/ranking.md explains it).
- prioritization.csvio: reading a committee round from CSV files (for `flask prioritize rank`).
- the participatory-budgeting rules and the Pabulib format live in their own modules.
"""
