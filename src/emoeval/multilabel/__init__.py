"""Multi-label evaluation: the ``multilabel`` task's table builder, scorer and report.

``table.multilabel_table`` turns stored predictions into the detailed table,
``scoring.score_multilabel`` scores it under every threshold strategy, and
``report.render`` writes ``report.md``, ``per_label_f1.png`` and ``thresholds.json``.
"""
