"""Errors that reach the user as one line: what is wrong and how to fix it."""


class EmoevalError(Exception):
    """A problem with the user's input or setup, found before or outside any model run.

    The CLI prints ``str(error)`` as a single line and exits with status 2.
    """


class SampleError(Exception):
    """A problem with one sample (corrupt audio, empty text, NaN score).

    Recorded per sample in the prediction store and ``detailed_results.csv``; never fatal.
    """
