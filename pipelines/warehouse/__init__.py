"""The warehouse itself: its SQL files and schema (sql.py), the published file with its run lock
and working copies (store.py), one run's bookkeeping (runs.py), the Dagster resource every asset
works through (resource.py). See README.md."""
