"""A synthetic landing folder: a year of logged LLM API responses, reproducible byte for byte.

`generate()` writes what an LLM gateway, a few batch jobs and some ad-hoc scripts would leave in
a landing folder: one folder per UTC day holding envelope lines, bare provider bodies, provider
batch result files, raw streamed bodies and the odd JSON export. Shapes follow the examples in
shared/fixtures/responses/ and the rules in shared/reference/token-accounting.md; the numbers are
random but internally consistent (every reported total equals the sum of its parts).

A small, counted share of the records is deliberately imperfect (exact duplicates, calls logged
twice as stream and as body, malformed lines), so a loader can be tested against known answers:
records = calls + duplicates + double_logged + malformed.

Speed matters (a million calls in well under three minutes): bodies are built as plain dict
literals around shared constant sub-objects (never copied, never mutated), serialised once with
orjson, and each day is written in one buffered pass. Only one day is ever held in memory.

Layout: `catalogue` (models, vocabularies, Tokens, Call), `calendar` (daily volumes), `files`
(a day's outputs on disk), `generator` (the run: days, calls, envelopes) and one module per
provider family for the bodies, usage, errors and streams it writes (`openai`, `anthropic`,
`google`, `bedrock`, `cohere`). The Generator owns the single random stream; the family modules
are mixins drawing from it, so the draws happen in one fixed order and a seed fixes every byte.
`agents` writes the coding agents' transcripts and a span export beside the day folders, after
them and from a stream of its own.
"""

from pipelines.samples.catalogue import MALFORMED_KINDS, ROUTES, TRAITS
from pipelines.samples.generator import Generator, generate

__all__ = ["MALFORMED_KINDS", "ROUTES", "TRAITS", "Generator", "generate"]
