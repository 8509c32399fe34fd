"""Tiny, deterministic, SYNTHETIC datasets in each solution's layout, and real sample clips.

One generator per solution (:mod:`.action_demo`, :mod:`.crash_demo`, :mod:`.sports_demo`,
:mod:`.localize_demo`), each a :class:`~.synthetic_folder.SyntheticFolder`; the command lines are
``tools/data/make_*_demo.py`` and ``tools/data/make_demo_data.py``.
"""
