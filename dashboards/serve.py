"""`streamlit run`, with the libraries the pages use imported before the server starts
listening. Streamlit imports them lazily, so the first page a new server shows would otherwise
pay for importing them: about 2 s of a 2-core machine, more than the page itself.
`tokenworks dashboard` runs this file."""

import sys
from pathlib import Path

# Run as a file: imports look in the repository, not in this folder.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import altair  # noqa: E402, F401  (the charts)
import duckdb  # noqa: E402, F401
import pandas  # noqa: E402, F401  (the tables)
import polars  # noqa: E402, F401
import pyarrow  # noqa: E402, F401
from streamlit.web.cli import main  # noqa: E402

from pipelines.analysts import inspector  # noqa: E402, F401

if __name__ == "__main__":
    sys.exit(main(prog_name="streamlit"))
