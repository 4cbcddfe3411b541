"""Log your own LLM API calls into a Tokenworks landing folder.

    client = tokenworks.wrap(openai.OpenAI(), landing="data/landing", project="search")

`wrap` instruments an OpenAI or Anthropic SDK client (sync or async) where it meets httpx, so
every endpoint is logged without wrapping methods one by one; `labels` names the project, user
or key of the calls made inside it. What is logged, and how: docs/logging-your-calls.md.

Importing this package needs neither Dagster nor DuckDB: only the standard library and the SDK
the application already uses.
"""

from tokenworks.labels import labels
from tokenworks.wrapper import LoggingFailed, wrap

__all__ = ["LoggingFailed", "labels", "wrap"]
