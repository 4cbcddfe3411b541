"""Closing a period: a month's figures recorded once and never changed; later changes to it
shown as restatements; its FOCUS export written again byte for byte (README.md)."""
