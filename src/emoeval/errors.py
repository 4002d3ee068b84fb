"""Errors that reach the user as one line: what is wrong and how to fix it."""


class EmoevalError(Exception):
    """A problem with the user's input or setup, found before or outside any model run.

    The CLI prints ``str(error)`` as a single line and exits with status 2.
    """


class SampleError(Exception):
    """A problem with one sample (corrupt audio, empty text, NaN score).

    Recorded per sample in the prediction store and ``detailed_results.csv``; never fatal.
    ``kind`` is the outcome kind it stands for (``input``, ``transport``, ``unanswered``; see
    :mod:`emoeval.store`), None to let the place that catches it decide.
    """

    def __init__(self, message: str = "", kind: str | None = None):
        super().__init__(message)
        self.kind = kind

    def __reduce__(self):  # keep the kind across processes (Ray)
        return (type(self), (str(self), self.kind))
