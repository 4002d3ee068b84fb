"""Engines that run the evaluation somewhere other than this process.

``local`` (the default) is :func:`emoeval.runner.run`. ``ray`` runs the same pieces of the
runner on a Ray cluster (:mod:`emoeval.engines.ray_engine`); Ray is the optional extra
``emoeval[ray]`` and is imported only when that engine is asked for.
"""
