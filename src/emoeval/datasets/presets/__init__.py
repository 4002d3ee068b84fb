"""Corpus presets: ``<preset>:<dir>`` reads a corpus in its original layout.

Label and metadata come from each file name (see :class:`..files.FileNamePreset`); labels
are the corpus' own words. Metadata keys: ``speaker`` always, ``gender`` (male/female) and
``language`` where known, plus corpus-specific fields documented per preset.
"""
