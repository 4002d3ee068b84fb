"""The CLAP-style similarity benchmark: does a clip match a written description?

Items (``file_name``, ``queried_emotion`` or ``text``, ``majority_present``) are scored by an
HTTP endpoint speaking emolia-bench's contract, by emolia-bench's sham, or by a local model
(``clap:`` or any audio classifier), then judged against the human majority with balanced
accuracy (the headline), ROC-AUC and slices. See :func:`run_similarity`.
"""

from .evaluate import SimilarityConfig, run_similarity
from .sham import sham_similarity

__all__ = ["SimilarityConfig", "run_similarity", "sham_similarity"]
