"""Free-text answers of models (LLMs and the like), for every task that reads them.

* :mod:`.text` - blank cells, a cell as text, tokens, negation, inflections, refusals;
* :mod:`.json_find` - the JSON an answer holds (alone, in a code fence, after some words);
* :mod:`.statuses` - one status vocabulary and its outcome kind (``ok`` / ``unanswered``);
* :mod:`.policies` - the unanswered policy (wrong, exclude, fallback:<label>, midpoint) and
  which of them each task takes;
* :mod:`.labels` - class answers: one taxonomy label per answer (generative task);
* :mod:`.ratings` - rating answers: one number per dimension (dimensional task);
* :mod:`.rating_table` - a table of rating answers with the policy applied, and its summary;
* :mod:`.prompts` - the shipped prompt templates (``prompts/*.txt``) and their placeholders.
"""
