"""The warehouse itself: where the lake is and how to open it (lake.py), its SQL files and schema
(sql.py), one transaction per run (store.py), one run's bookkeeping (runs.py), maintenance
(maintenance.py), the Dagster resource every asset works through (resource.py). See README.md."""
