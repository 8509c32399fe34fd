# Crash-moment frame classifier (the origin's best): MMPretrain EfficientNetV2-S at 384x384,
# one logit (CrashFrameHead, BCE), 50/50 class-balanced sampling, AUC-selected checkpoint.
# ImageNet weights: a local file, passed by the solution manifest as `model.pretrained`
# (configs/solutions/crash.py says which file); nothing is downloaded.
_base_ = [
    'mmpretrain::_base_/models/efficientnet_v2/efficientnetv2_s.py',
    '../_base_/datasets/crash_frames.py',
    '../_base_/runtime_mmpretrain.py',
]

model = dict(
    # mmpretrain's EfficientNetV2 weights (converted from timm's tf_ ports) use these.
    data_preprocessor=dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5], to_rgb=True),
    head=dict(_delete_=True, type='CrashFrameHead', in_channels=1280, dropout=0.2,
              label_smoothing=0.0))

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=3e-4, weight_decay=0.01),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
    clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=11, eta_min=1e-6, by_epoch=True, begin=1, end=12),
]
train_cfg = dict(by_epoch=True, max_epochs=12, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=64)  # 4 GPUs x 16

default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2))
