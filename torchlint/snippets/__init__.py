"""Linting code that lives in documents: notebooks and Markdown fences, as one program each."""
