"""Keep the single best checkpoint by one metric, its file name carrying the metrics."""
from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path

from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from ...registry import register_in
from ...utils.atomic import atomic_write_json

STATE_FILE = 'best_checkpoint.json'


@register_in(registry='HOOKS')
class BestMetricsCheckpointHook(Hook):
    """After each validation, save ``best_<k1>_<v1>_<k2>_<v2>..._epoch_<E>.pth`` when
    ``save_best`` improved, and remove the previous best.

    E.g. ``best_auc_0.7834_acc_0.8630_ll_0.4610_epoch_11.pth``; the name starts with ``best_``
    (``tools/solutions/launch.final_checkpoint`` picks it up). The best so far is also kept in
    ``<out_dir>/best_checkpoint.json`` (path, epoch, every metric) and in the message hub. A
    resumed run (the train loop starts past epoch 0) restores the best from that file, so it is
    only replaced by a better score; a fresh run in the same folder starts over and removes the
    previous run's best files. NaN scores never count as better.

    Args:
        save_best: The metric key that decides, e.g. ``crash/auc``.
        name_keys: ``{short name: metric key}`` written into the file name, in order (default:
            ``{'score': save_best}``).
        rule: ``greater`` or ``less``.
        tie_break: A second metric that decides between equal ``save_best`` scores (e.g.
            ``crash/bce`` when two epochs both reach AUC 1.0); None: the first one stays.
        tie_rule: ``greater`` or ``less``, for ``tie_break``.
        digits: Decimals of each value in the file name.
        out_dir: Folder of the best checkpoint (default: the work dir).
    """

    priority = 'LOW'  # after the CheckpointHook (VERY_LOW would run after the logger: fine too)

    def __init__(self, save_best: str, name_keys: Mapping[str, str] | None = None,
                 rule: str = 'greater', tie_break: str | None = None, tie_rule: str = 'less',
                 digits: int = 4, out_dir: str | None = None) -> None:
        if rule not in ('greater', 'less') or tie_rule not in ('greater', 'less'):
            raise ValueError(f'rule and tie_rule must be greater or less, got {rule!r}, '
                             f'{tie_rule!r}')
        self.tie_break = tie_break
        self.tie_rule = tie_rule
        self.save_best = save_best
        self.name_keys = dict(name_keys or {'score': save_best})
        for short in self.name_keys:
            if not re.fullmatch(r'[A-Za-z0-9]+', short):
                raise ValueError(f'name_keys short names must be alphanumeric, got {short!r}')
        self.rule = rule
        self.digits = digits
        self.out_dir = out_dir
        self.best: dict | None = None
        first = next(iter(self.name_keys))
        self.pattern = re.compile(rf'best_{first}_.*_epoch_\d+\.pth')

    def _dir(self, runner) -> Path:
        return Path(self.out_dir or runner.work_dir)

    def _info_key(self) -> str:
        return f'podium_best_{self.save_best}'

    def before_train(self, runner) -> None:
        """A resumed run continues from the recorded best; a fresh one starts over."""
        self.best = None
        if runner.epoch == 0:
            return
        state = self._dir(runner) / STATE_FILE
        if state.is_file():
            best = json.loads(state.read_text())
            if best.get('key') == self.save_best and Path(best['path']).is_file():
                self.best = best
        if self.best is None and runner.message_hub.get_info(self._info_key()):
            self.best = runner.message_hub.get_info(self._info_key())
        if self.best is not None:
            runner.logger.info(f'best checkpoint so far: {self.best["path"]} '
                               f'({self.save_best} = {self.best["score"]:.{self.digits}f})')

    def is_better(self, score: float, metrics: Mapping[str, float] | None = None) -> bool:
        """Whether ``score`` (with the epoch's ``metrics`` for the tie-break) beats the best."""
        if score is None or math.isnan(score):
            return False
        if self.best is None:
            return True
        if score == self.best['score'] and self.tie_break and metrics:
            new, old = metrics.get(self.tie_break), self.best['metrics'].get(self.tie_break)
            if new is None or old is None or math.isnan(new):
                return False
            return new > old if self.tie_rule == 'greater' else new < old
        return score > self.best['score'] if self.rule == 'greater' else score < self.best['score']

    def file_name(self, metrics: Mapping[str, float], epoch: int) -> str:
        parts = [f'{short}_{float(metrics[key]):.{self.digits}f}'
                 for short, key in self.name_keys.items() if key in metrics]
        return 'best_' + '_'.join(parts) + f'_epoch_{epoch}.pth'

    def after_val_epoch(self, runner, metrics: Mapping[str, float] | None = None) -> None:
        if not metrics or self.save_best not in metrics:
            if metrics:
                runner.logger.warning(f'BestMetricsCheckpointHook: no {self.save_best!r} in the '
                                      f'validation metrics {sorted(metrics)}')
            return
        score = float(metrics[self.save_best])
        if not self.is_better(score, metrics):
            return
        out_dir = self._dir(runner)
        epoch = runner.epoch
        name = self.file_name(metrics, epoch)
        previous = self.best
        runner.save_checkpoint(str(out_dir), filename=name, save_optimizer=False,
                               save_param_scheduler=False, meta=dict(epoch=epoch, iter=runner.iter),
                               by_epoch=False)
        self.best = {'key': self.save_best, 'score': score, 'path': str(out_dir / name),
                     'epoch': epoch,
                     'metrics': {k: float(v) for k, v in metrics.items()
                                 if isinstance(v, (int, float))}}
        runner.message_hub.update_info(self._info_key(), self.best)
        if is_main_process():
            self._remove_others(out_dir, keep=name, previous=previous)
            atomic_write_json(out_dir / STATE_FILE, self.best, indent=1)
        runner.logger.info(f'new best {self.save_best} = {score:.{self.digits}f} at epoch {epoch}: '
                           f'{out_dir / name}')

    def _remove_others(self, out_dir: Path, keep: str, previous: dict | None) -> None:
        """The previous best, and (fresh run) best files of an earlier run in this folder."""
        stale = [p for p in out_dir.glob('best_*.pth')
                 if p.name != keep and self.pattern.fullmatch(p.name)]
        if previous is not None:
            stale.append(Path(previous['path']))
        for path in stale:
            if path.name != keep:
                path.unlink(missing_ok=True)
