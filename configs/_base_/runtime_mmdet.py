# podium's runtime for MMDetection configs: the library's defaults, plus podium's modules and
# TensorBoard scalars next to the local logs.
_base_ = 'mmdet::_base_/default_runtime.py'

custom_imports = dict(imports=['custom_modules'], allow_failed_imports=False)

default_hooks = dict(logger=dict(interval=10), checkpoint=dict(max_keep_ckpts=3))
vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(vis_backends=vis_backends)
