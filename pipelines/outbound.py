"""The requests this project sends out (the billing fetch, the budget alerts), through urllib.

Redirects are not followed: an admin key in a header would travel with them (the fetch), and a
webhook that redirects is misconfigured (the alerts). The refused redirect is raised as the
response's HTTPError.
"""

from __future__ import annotations

import urllib.request


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def opener() -> urllib.request.OpenerDirector:
    """An opener that follows no redirect. Made per request: it reads the proxy settings from
    the environment."""
    return urllib.request.build_opener(_NoRedirect)
