"""``--task open-vocabulary``: free emotion words scored as sets (MER2024's OV track).

One package: set parsing (:mod:`.sets`), synonym sources and the cached judge
(:mod:`.synonyms`, :mod:`.judge`), the scorer (:mod:`.scoring`), the closed-taxonomy view
(:mod:`.taxonomy`), the report (:mod:`.report`) and the paired comparison (:mod:`.compare`).
"""
