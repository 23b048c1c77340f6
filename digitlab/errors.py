"""The one error type users see.

Anything wrong with the user's input (a bad file, an unknown model name, a
missing dataset) raises `DigitlabError`: a `ValueError` whose message is one
line naming the problem. The CLI prints that line and exits with status 2
instead of showing a traceback.
"""


class DigitlabError(ValueError):
    """A problem with the user's input, described in one line."""
