"""Epoch ``e`` draws the same random numbers whether or not the run was resumed.

mmengine seeds python, numpy and torch once, when the runner is built, and its dataloader workers
from ``seed + worker_id`` (the same in every epoch). A run resumed at epoch 7 therefore starts
epoch 8 from freshly seeded generators, while the uninterrupted run is 7 epochs further along
them: the augmentations (drawn in the main process with ``num_workers=0``, or by persistent
workers that keep their generators across epochs) and dropout differ from epoch 8 on, and so do
the weights. This hook reseeds every generator at the start of each epoch from
``(seed, epoch, rank)``, and the workers from ``(seed, epoch, rank, worker_id)``, restarting
persistent workers for that (one worker start per epoch). The data order needs nothing: mmengine's
``DefaultSampler`` already shuffles by ``seed + epoch``. With ``deterministic`` set, a resumed
run then equals the uninterrupted one bit for bit on the CPU.

Before a resume it also makes sure ``last_checkpoint`` names a complete checkpoint: a file cut
short (a kill while writing) is never resumed from; the newest complete one is, with a warning.
A run resumed at epoch k validates epoch k again first (mmengine saves the checkpoint before the
validation, which the killed run may not have finished; the best checkpoint depends on it).
Iteration-based loops are reseeded once (their single "epoch"): a resumed one is not exact.
"""
from __future__ import annotations

import logging
import random
import re
import zipfile
from functools import partial
from pathlib import Path

from mmengine.hooks import Hook

from ...registry import register_in
from ...utils.atomic import atomic_write_text


def epoch_seed(seed: int, epoch: int, rank: int, worker: int = -1) -> int:
    """A 32-bit seed that depends on all of its arguments (numpy's ``SeedSequence``)."""
    import numpy as np

    words = [int(seed) % 2**32, int(epoch), int(rank), int(worker) + 1]
    return int(np.random.SeedSequence(words).generate_state(1)[0])


def seed_all(seed: int) -> None:
    """Seeds python's, numpy's and torch's global generators (torch: CPU and every GPU)."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def seed_worker(worker_id: int, seed: int, epoch: int, rank: int) -> None:
    """A dataloader worker's ``worker_init_fn``: its generators from the epoch's seed."""
    seed_all(epoch_seed(seed, epoch, rank, worker_id))


def checkpoint_complete(path: Path) -> bool:
    """Whether a checkpoint file was written to its end (torch saves a zip archive, whose
    directory is written last; a file cut short has none). Other formats count as complete."""
    try:
        if path.stat().st_size == 0:
            return False
        if not zipfile.is_zipfile(path):
            with open(path, 'rb') as f:
                return f.read(2) != b'PK'  # a zip archive cut short
        with zipfile.ZipFile(path):
            return True
    except (OSError, zipfile.BadZipFile):
        return False


def _step(path: Path) -> int:
    match = re.fullmatch(r'(?:epoch|iter)_(\d+)\.pth', path.name)
    return int(match.group(1)) if match else -1


def repair_last_checkpoint(work_dir: Path) -> str | None:
    """Points ``work_dir/last_checkpoint`` at a complete checkpoint; returns what it did, or
    None when it already does (or there is none)."""
    pointer = work_dir / 'last_checkpoint'
    if not pointer.is_file():
        return None
    named = pointer.read_text().strip()
    if named and checkpoint_complete(Path(named)):
        return None
    saved = sorted((p for p in work_dir.glob('*.pth') if _step(p) >= 0), key=_step, reverse=True)
    good = next((p for p in saved if checkpoint_complete(p)), None)
    if good is None:
        pointer.rename(pointer.with_name('last_checkpoint.incomplete'))
        return (f'{pointer} named {named or "nothing"}, which is incomplete, and no complete '
                'checkpoint is left: starting from scratch')
    atomic_write_text(pointer, str(good))
    return f'{pointer} named {named or "nothing"}, which is incomplete: resuming from {good}'


@register_in(registry='HOOKS')
class EpochSeedHook(Hook):
    """Reseeds every random generator at each epoch's start from (seed, epoch, rank).

    Added to every training by ``custom_modules.engine.runner.build_runner`` (a config opts out
    with ``epoch_seeding = False``). Runs last among the ``before_train_epoch`` hooks, so nothing
    draws between the reseed and the epoch's first batch.
    """

    priority = 'LOWEST'

    def __init__(self) -> None:
        self._warned = False

    def before_run(self, runner) -> None:
        if getattr(runner, '_resume', False) and getattr(runner, '_load_from', None) is None:
            note = repair_last_checkpoint(Path(runner.work_dir))
            if note:
                runner.logger.warning(note)

    def before_train(self, runner) -> None:
        """A run resumed at epoch k validates epoch k again before going on.

        mmengine saves epoch k's checkpoint before validating epoch k, so the run this one
        continues may have died during that validation, and the checkpoint's best score predates
        it either way: without it a best epoch k would be missed (and the per-epoch metrics
        lack it), where the uninterrupted run keeps it.
        """
        from mmengine.runner import EpochBasedTrainLoop

        loop, k = runner.train_loop, runner.epoch
        if (k == 0 or not getattr(runner, '_resume', False) or runner.val_loop is None
                or not isinstance(loop, EpochBasedTrainLoop)):
            return
        if k >= loop.val_begin and (k % loop.val_interval == 0 or k == loop.max_epochs):
            runner.logger.info(f'EpochSeedHook: resumed at epoch {k}: validating it again '
                               '(its checkpoint was saved before its validation)')
            runner.val_loop.run()

    def before_train_epoch(self, runner) -> None:
        from mmengine.dist import get_rank

        seed, epoch, rank = runner.seed, runner.epoch, get_rank()
        seed_all(epoch_seed(seed, epoch, rank))
        loader = runner.train_loop.dataloader
        if getattr(loader, 'num_workers', 0) <= 0:
            return
        init = loader.worker_init_fn
        if init is not None and not self._replaceable(init):
            if not self._warned:
                runner.logger.log(logging.WARNING, 'EpochSeedHook: the train dataloader has its '
                                  'own worker_init_fn, kept: its workers are not reseeded per '
                                  'epoch (a resumed run may differ from an uninterrupted one)')
                self._warned = True
            return
        loader.worker_init_fn = partial(seed_worker, seed=seed, epoch=epoch, rank=rank)
        if loader.persistent_workers and getattr(loader, '_iterator', None) is not None:
            loader._iterator = None  # persistent workers restart with this epoch's seeds

    @staticmethod
    def _replaceable(init) -> bool:
        """mmengine's default worker seeding (the same every epoch) or ours."""
        from mmengine.dataset import worker_init_fn

        func = getattr(init, 'func', init)
        return func in (worker_init_fn, seed_worker)
