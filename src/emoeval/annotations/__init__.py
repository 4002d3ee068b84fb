"""Human annotations: anonymise rater names, build benchmark labels from ratings, and measure
agreement and the human ceiling (``emoeval anonymize``, ``emoeval agreement``)."""

from .agreement import AgreementOptions, run_agreement
from .anonymise import anonymise_files

__all__ = ["AgreementOptions", "anonymise_files", "run_agreement"]
