"""Generative models: free-text answers scored against a strict label taxonomy.

* :mod:`.scoring` - the ``generative`` task scorer and the table ``evaluate`` builds for it;
* :mod:`.report` - ``report.md`` with the per-policy table and the unusable answers.

The answers themselves are read by :mod:`emoeval.answers` (:mod:`emoeval.answers.labels`:
one status per answer; :mod:`emoeval.answers.policies`: what an unusable answer counts as;
:mod:`emoeval.answers.prompts`: the default prompt templates of the ``llm:`` adapter).
"""
