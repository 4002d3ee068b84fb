"""Generative models: free-text answers scored against a strict label taxonomy.

* :mod:`.extraction` - the named answer-extraction pipeline (one status per answer);
* :mod:`.policies` - what an unusable answer counts as (wrong, exclude, fallback:<label>);
* :mod:`.scoring` - the ``generative`` task scorer and the table ``evaluate`` builds for it;
* :mod:`.report` - ``report.md`` with the per-policy table and the unusable answers;
* ``prompts/`` - the default prompt templates of the ``llm:`` adapter.
"""
