"""Trainable probes: a frozen backbone's embeddings (cached on disk) and a scikit-learn head.

``backbones`` (zeroshot / hf hidden states / openSMILE), ``cache`` (content-addressed
embeddings per backbone fingerprint), ``embed`` (rows -> embeddings through the runner's
batching), ``heads`` (logreg / mlp classifiers, ridge regression; saved as arrays),
``crossval`` (loso / k-fold), ``train`` (``emoeval train``) and ``report``
(``train_report.md``). ``probe:<dir>`` in
:mod:`emoeval.adapters.probe` loads the result.
"""
