"""Freeze a pretrained model part (the backbone), then hand its last stages back to the optimizer
by epoch, each newly unfrozen stage with a warm-up of its updates."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ...registry import register_in

STAGE_ATTRS = ('stages', 'layers')


def find_stages(module: nn.Module, stages: str | Sequence[str] = 'auto') -> list[nn.Module]:
    """The stages of ``module`` in forward order.

    ``'auto'``: mmpretrain ResNet's ``res_layers`` names, else a ``stages`` or ``layers`` attribute
    (a ModuleList, or a list of child names as in MobileNetV3), else the direct children. A string
    names such an attribute; a list of strings names the child modules themselves.
    """
    if isinstance(stages, str) and stages != 'auto':
        return _stage_list(module, getattr(module, stages), stages)
    if not isinstance(stages, str):
        return [module.get_submodule(name) for name in stages]
    if isinstance(getattr(module, 'res_layers', None), list):
        return _stage_list(module, module.res_layers, 'res_layers')
    for attr in STAGE_ATTRS:
        if isinstance(getattr(module, attr, None), (nn.ModuleList, nn.Sequential, list)):
            return _stage_list(module, getattr(module, attr), attr)
    return list(module.children())


def _stage_list(module: nn.Module, value: object, attr: str) -> list[nn.Module]:
    if isinstance(value, (nn.ModuleList, nn.Sequential)):
        return list(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [module.get_submodule(name) for name in value]
    raise TypeError(f'{type(module).__name__}.{attr} is neither a ModuleList nor a list of '
                    f'child names: {type(value).__name__}')


def is_pretrained_cfg(init_cfg) -> str | None:
    """The checkpoint of a ``Pretrained`` init_cfg (a dict or a list of them), else None."""
    for cfg in init_cfg if isinstance(init_cfg, (list, tuple)) else [init_cfg]:
        kind = cfg.get('type') if isinstance(cfg, Mapping) else None
        if kind == 'Pretrained' or getattr(kind, '__name__', None) == 'PretrainedInit':
            return str(cfg.get('checkpoint'))
    return None


def pretrained_source(runner, module: str) -> str | None:
    """Where the weights of ``module`` come from, in words; None: random initialisation.

    ``load_from`` (the whole model), else a ``Pretrained`` init_cfg on the model or on any module
    down the path to ``module`` (mmpretrain's ``pretrained=`` becomes one)."""
    load_from = getattr(runner, '_load_from', None)
    cfg = getattr(runner, 'cfg', None)
    if load_from is None and cfg is not None and hasattr(cfg, 'get'):
        load_from = cfg.get('load_from')
    if load_from:
        return f'load_from={load_from}'
    node = runner.model.module if is_model_wrapper(runner.model) else runner.model
    names = ['model', *module.split('.')]
    for depth, name in enumerate(names):
        if depth:
            node = getattr(node, name, None)
            if node is None:
                break
        checkpoint = is_pretrained_cfg(getattr(node, 'init_cfg', None))
        if checkpoint:
            return f"{'.'.join(names[:depth + 1])}.init_cfg Pretrained {checkpoint}"
    return None


@register_in(registry='HOOKS')
class ProgressiveUnfreezeHook(Hook):
    """Train a pretrained part frozen first, then unfreeze its last stages at given epochs.

    Before the first scheduled epoch the whole ``module`` is frozen (``requires_grad=False``, its
    norm layers in eval mode when ``freeze_bn``: running statistics untouched, re-applied after
    every ``model.train()``); from each scheduled epoch on, the last ``n`` stages train
    (``'all'``: the whole module). The state is derived from the current epoch, so a resumed run
    is frozen exactly as the interrupted one was. Parameters the optimizer does not hold yet are
    added to it with the first group's settings; every change is logged.

    Freezing only makes sense for weights worth keeping: with ``pretrained_only`` (default) a part
    that loads no weights (no ``load_from``, no ``Pretrained`` init_cfg on the model or on the
    part, no ``pretrained=``) trains whole from the first iteration, and the log says so. A frozen
    random backbone gives the head near-constant features, and unfreezing it later makes the
    loss jump (issue 16).

    Newly unfrozen parameters come in gently: their optimizer updates are scaled by a factor
    that ramps linearly from ``1 / warmup_iters`` to 1 over ``warmup_iters`` iterations (a
    learning-rate warm-up of those parameters alone, for any optimizer: Adam's first steps move
    every weight by about the full lr), times ``lr_mult`` for good. The factor is applied to the
    step itself (the parameters are blended between before and after the step), so the
    optimizer's groups, its saved state and the schedulers are untouched and a resumed run goes on
    exactly.

    With several processes, DDP must be built with ``find_unused_parameters=True``: frozen
    parameters get no gradient, and DDP otherwise waits for one. tools/train.py sets it when
    this hook is configured (``custom_modules.engine.runner.allow_unused_parameters`` says why
    this choice); a Runner built otherwise is refused. The freezing happens after DDP is built,
    so DDP holds every parameter and all-reduces the unfrozen ones; a parameter that was
    already frozen when DDP was built (a backbone's ``frozen_stages``) would never be
    all-reduced once this hook unfreezes it, and is refused too. The update scaling is the same
    on every process, so the replicas stay equal.

    Args:
        schedule: ``{epoch: n_last_stages or 'all'}`` with 1-based epochs as logged (iterations
            when ``by_epoch=False``), e.g. ``{4: 3, 8: 'all'}``: frozen for epochs 1-3, the last 3
            stages from epoch 4, everything from epoch 8. ``{3: 'all'}`` freezes for two epochs.
        module: attribute path of the part to freeze on the model (``'backbone'``).
        stages: how to find its stages (:func:`find_stages`).
        freeze_bn: keep the frozen part's norm layers in eval mode (running stats unchanged).
        by_epoch: schedule keys are epochs (True) or iterations (False).
        pretrained_only: freeze only a part that starts from loaded weights (see above).
        warmup_iters: iterations over which newly unfrozen parameters ramp up (0: none).
        lr_mult: lasting factor on the updates of the parameters this hook unfroze.
    """

    priority = 'VERY_HIGH'  # before the optimizer is stepped and before other hooks log

    def __init__(self, schedule: Mapping[int, int | str], module: str = 'backbone',
                 stages: str | Sequence[str] = 'auto', freeze_bn: bool = True,
                 by_epoch: bool = True, pretrained_only: bool = True, warmup_iters: int = 50,
                 lr_mult: float = 1.0) -> None:
        self.schedule = {int(k): v for k, v in schedule.items()}
        for point, count in self.schedule.items():
            if point < 1:
                raise ValueError(f'schedule keys are 1-based, got {point}')
            if count != 'all' and not (isinstance(count, int) and count >= 0):
                raise ValueError(f'schedule values are a stage count or "all", got {count!r}')
        if warmup_iters < 0 or not 0 < lr_mult <= 1:
            raise ValueError(f'warmup_iters must be >= 0 and lr_mult in (0, 1], got '
                             f'{warmup_iters} and {lr_mult}')
        self.module = module
        self.stages = stages
        self.freeze_bn = freeze_bn
        self.by_epoch = by_epoch
        self.pretrained_only = pretrained_only
        self.warmup_iters = int(warmup_iters)
        self.lr_mult = float(lr_mult)
        self.active = True  # False: nothing to freeze (pretrained_only and no weights)
        self._state: int | str | None = None  # trainable stages now (None: not applied yet)
        self._frozen_norms: list[nn.Module] = []
        self._ramps: list[tuple[int, list[nn.Parameter]]] = []  # (first iteration, params)
        self._before: list[tuple[nn.Parameter, torch.Tensor, float]] | None = None

    def trainable_at(self, point: int) -> int | str:
        """Stages trainable at 1-based epoch (or iteration) ``point``: 0 before the schedule."""
        started = [k for k in self.schedule if k <= point]
        return self.schedule[max(started)] if started else 0

    def unfrozen_since(self, runner) -> int | None:
        """0-based iteration at which the latest unfreeze step up to now began (None: none)."""
        if not self.active:
            return None
        now = (runner.epoch if self.by_epoch else runner.iter) + 1
        started = [k for k in self.schedule if k <= now and self.schedule[k] != 0]
        return self._first_iter(runner, max(started)) if started else None

    def settled_at(self, runner) -> int | None:
        """Iteration from which the latest unfreeze step's warm-up is over (None: no step)."""
        since = self.unfrozen_since(runner)
        return None if since is None else since + self.warmup_iters

    def _first_iter(self, runner, point: int) -> int:
        if not self.by_epoch:
            return point - 1
        return (point - 1) * len(runner.train_dataloader)

    def before_train(self, runner) -> None:
        model = runner.model
        source = pretrained_source(runner, self.module) if self.pretrained_only else None
        if self.pretrained_only and source is None:
            self.active = False
            runner.logger.info(
                f'ProgressiveUnfreezeHook: {self.module} loads no pretrained weights (no '
                'load_from, no Pretrained init_cfg): nothing to keep, so it trains whole from '
                'the start and the schedule is not applied')
            return
        if is_model_wrapper(model) and hasattr(model, 'find_unused_parameters') \
                and not model.find_unused_parameters:
            raise RuntimeError(
                'ProgressiveUnfreezeHook: frozen parameters get no gradient, which DDP refuses '
                'unless it is built with find_unused_parameters=True; add to the config: '
                "model_wrapper_cfg = dict(type='MMDistributedDataParallel', "
                'find_unused_parameters=True)')
        if is_model_wrapper(model):
            self._check_registered(model.module.get_submodule(self.module))
        if source:
            runner.logger.info(f'ProgressiveUnfreezeHook: {self.module} starts from {source}')
        self._apply(runner, (runner.epoch if self.by_epoch else runner.iter) + 1)

    def _check_registered(self, part: nn.Module) -> None:
        """Refuses parameters the schedule unfreezes that DDP left out (frozen when wrapped)."""
        counts = list(self.schedule.values())
        stages = find_stages(part, self.stages)
        most = part if 'all' in counts else nn.ModuleList(
            stages[len(stages) - max(counts, default=0):] if max(counts, default=0) else [])
        unfrozen = {id(p) for p in most.parameters()}
        left_out = [name for name, p in part.named_parameters()
                    if id(p) in unfrozen and not p.requires_grad]
        if left_out:
            raise RuntimeError(
                f'ProgressiveUnfreezeHook: {len(left_out)} parameter(s) of {self.module} '
                f'({", ".join(left_out[:3])}...) were frozen when DDP was built, so their '
                'gradients would never be all-reduced once unfrozen: let this hook do the '
                'freezing (e.g. frozen_stages=-1 in the backbone)')

    def before_train_epoch(self, runner) -> None:
        if self.by_epoch and self.active:
            self._apply(runner, runner.epoch + 1)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if not self.active:
            return
        if not self.by_epoch:
            self._apply(runner, runner.iter + 1)
        for norm in self._frozen_norms:  # the loop calls model.train() after before_train_epoch
            norm.eval()
        before = []
        for first, params in self._ramps:
            factor = self.update_factor(runner.iter - first)
            if factor < 1:
                before += [(p, p.detach().clone(), factor) for p in params]
        self._before = before or None

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """Scales this iteration's step of the ramping parameters: ``old + f * (new - old)``."""
        if not self._before:
            return
        with torch.no_grad():
            for param, old, factor in self._before:
                param.mul_(factor).add_(old, alpha=1.0 - factor)
        self._before = None

    def update_factor(self, step: int) -> float:
        """Factor on the update of a parameter ``step`` iterations after it was unfrozen."""
        ramp = min(1.0, (step + 1) / self.warmup_iters) if self.warmup_iters else 1.0
        return self.lr_mult * ramp

    def _trainable(self, part: nn.Module, stages: list[nn.Module], state: int | str
                   ) -> list[nn.Module]:
        if state == 'all':
            return [part]
        if state > len(stages):
            raise ValueError(f'ProgressiveUnfreezeHook: {state} stages asked for, '
                             f'{self.module} has {len(stages)}')
        return stages[len(stages) - state:] if state else []

    def _apply(self, runner, point: int) -> None:
        state = self.trainable_at(point)
        if state == self._state:
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        part = model.get_submodule(self.module)
        stages = find_stages(part, self.stages)
        trainable = self._trainable(part, stages, state)
        for param in part.parameters():
            param.requires_grad = False
        for sub in trainable:
            for param in sub.parameters():
                param.requires_grad = True
        trainable_modules = {id(m) for sub in trainable for m in sub.modules()}
        self._frozen_norms = [m for m in part.modules() if self.freeze_bn and isinstance(
            m, _BatchNorm) and id(m) not in trainable_modules]
        for norm in self._frozen_norms:
            norm.eval()
        self._ramps = self._ramps_up_to(runner, part, stages, point)
        added = self._add_missing_to_optimizer(runner, [p for sub in trainable
                                                        for p in sub.parameters()])
        n_train = sum(p.numel() for p in part.parameters() if p.requires_grad)
        n_all = sum(p.numel() for p in part.parameters())
        what = 'all' if state == 'all' else f'last {state} of {len(stages)} stages'
        unit = 'epoch' if self.by_epoch else 'iter'
        ramp = (f'; updates of the newly unfrozen ones ramp up over {self.warmup_iters} '
                f'iterations' if state and self.warmup_iters else '')
        ramp += f'; their updates x{self.lr_mult:g}' if state and self.lr_mult != 1 else ''
        runner.logger.info(
            f'ProgressiveUnfreezeHook: {unit} {point}: {self.module} trainable: {what} '
            f'({n_train:,} of {n_all:,} parameters)'
            + (f'; {added} tensors added to the optimizer' if added else '') + ramp)
        self._state = state

    def _ramps_up_to(self, runner, part: nn.Module, stages: list[nn.Module], point: int
                     ) -> list[tuple[int, list[nn.Parameter]]]:
        """(first iteration, parameters) of every step so far, from the schedule (so a resumed
        run ramps exactly as the interrupted one); finished ramps are left out."""
        ramps, seen = [], set()
        for key in sorted(k for k in self.schedule if k <= point):
            params = [p for sub in self._trainable(part, stages, self.schedule[key])
                      for p in sub.parameters() if id(p) not in seen]
            seen.update(id(p) for p in params)
            first = self._first_iter(runner, key)
            if params and (self.lr_mult < 1 or runner.iter < first + self.warmup_iters):
                ramps.append((first, params))
        return ramps

    @staticmethod
    def _add_missing_to_optimizer(runner, params: list[nn.Parameter]) -> int:
        """Adds parameters the optimizer lacks (custom constructors may skip frozen ones)."""
        if not params or not hasattr(runner, 'optim_wrapper') or runner.optim_wrapper is None:
            return 0
        optimizer = getattr(runner.optim_wrapper, 'optimizer', None)
        if optimizer is None:  # OptimWrapperDict: several optimizers, none of them ours to pick
            return 0
        held = {id(p) for group in optimizer.param_groups for p in group['params']}
        missing = [p for p in params if id(p) not in held]
        if not missing:
            return 0
        template = {k: v for k, v in optimizer.param_groups[0].items() if k != 'params'}
        optimizer.add_param_group({**template, 'params': missing})
        schedulers = runner.param_schedulers or []
        if isinstance(schedulers, dict):
            schedulers = [s for group in schedulers.values() for s in group]
        for scheduler in schedulers:  # schedulers keep one base value per group
            target = getattr(scheduler, 'optimizer', None)  # an OptimWrapper or an optimizer
            if getattr(target, 'param_groups', None) is optimizer.param_groups and hasattr(
                    scheduler, 'base_values'):
                scheduler.base_values.append(template.get(f'initial_{scheduler.param_name}',
                                                          template[scheduler.param_name]))
        return len(missing)
