"""Dimensional emotion (valence, arousal, dominance as numbers): scoring with CCC, the
report with scatter plots, and the human ceiling from individual ratings."""
