"""When a page is completely drawn in the browser: one definition for the browser tests and the
dashboard benchmark, which drive the app in Chromium with Playwright.

A page is drawn once the app has drawn its footer (app.py draws it after the page), the run has
finished by the front end's script state, and no element is still a placeholder: Streamlit
draws tables, charts and some widgets as skeletons until their code has loaded, then Vega draws
each chart and the data grid its canvas. Elements out of sight (a closed expander's) are not
drawn and not waited for.

Not the "running" indicator: it appears only once a run has taken 500 ms and fades out over
200 ms after it. And the check runs on every animation frame: Playwright's locator waits poll
at up to 500 ms, which a benchmark would time too.
"""

from __future__ import annotations

PAGE_DRAWN = """(footer) => {
  if (document.querySelector('[data-testid="stException"]')) return 'failed';
  const captions = document.querySelectorAll('[data-testid="stCaptionContainer"]');
  if (![...captions].some((caption) => caption.textContent.startsWith(footer))) return false;
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.dataset.testScriptState !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  const shown = (selector) => [...document.querySelectorAll(selector)].filter(
    (element) => element.checkVisibility());
  for (const chart of shown('[data-testid="stVegaLiteChart"]'))
    if (!chart.querySelector('svg.marks, canvas')) return false;
  for (const table of shown('[data-testid="stDataFrame"]'))
    if (!table.querySelector('[data-testid="data-grid-canvas"]')) return false;
  return 'drawn';
}"""


class PageFailed(AssertionError):
    """The page showed an exception instead of its content."""


def wait_until_drawn(page, footer: str = "Tokenworks ·", timeout_ms: int = 120_000) -> None:
    """Wait until the Playwright page is completely drawn; footer is how the app's footer
    starts ("Tokenworks · Prices ·" names the page). Raises PageFailed if it shows an
    exception."""
    state = page.wait_for_function(PAGE_DRAWN, arg=footer, polling="raf",
                                   timeout=timeout_ms).json_value()
    if state == "failed":
        error = page.locator('[data-testid="stException"]').first.inner_text()
        raise PageFailed(f"the page failed: {error[:1000]}")
