"""The Streamlit dashboards (`tokenworks dashboard`): thin pages over `queries.py`."""

# Options the dashboards run with: the server's command line (pipelines/cli.py) and the AppTest
# tests set them. Magic off: every page calls st.* for what it shows, so magic would change
# nothing, but it parses each page script into Python AST objects in the session's thread, and
# on CPython 3.11 two threads doing that at once can fail the page ("AST constructor recursion
# depth mismatch"); plain compile() does not build those objects.
STREAMLIT_OPTIONS = {"runner.magicEnabled": False}
