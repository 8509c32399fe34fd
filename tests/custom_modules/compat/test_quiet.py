"""The setuptools ``pkg_resources`` notice mmengine triggers on every config base lookup is
silenced; other warnings are not."""
from __future__ import annotations

import warnings

from custom_modules.compat import silence_stack_notices


def notices(silenced: bool) -> list[str]:
    from mmengine.utils import is_installed

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter('always')
        if silenced:
            silence_stack_notices()
        is_installed('mmdet')  # what Config.fromfile does for an `mmdet::` base
        warnings.warn('another notice', UserWarning, stacklevel=1)
    return [str(w.message) for w in seen]


def test_pkg_resources_notice_is_silenced_and_nothing_else():
    loud = notices(silenced=False)
    assert any('pkg_resources is deprecated as an API' in m for m in loud)  # it does fire
    assert notices(silenced=True) == ['another notice']
