# The crash demo's tiny CPU model: podium's TinyConvNet + CrashFrameHead on 64x64 frames of
# the SYNTHETIC demo clips (tools/data/make_crash_demo.py). Trains in seconds on a CPU.
_base_ = [
    '../_base_/datasets/crash_frames.py',
    '../_base_/runtime_mmpretrain.py',
]

model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(mean=[127.5] * 3, std=[64.0] * 3, to_rgb=True),
    backbone=dict(type='TinyConvNet', base_channels=8, num_stages=3, out_indices=(2, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='CrashFrameHead', in_channels=32))

img_size = 64
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='RandomShiftScaleRotate', shift_limit=0.05, scale_limit=0.05, rotate_limit=5,
         prob=0.3),
    dict(type='GaussianNoise', std_range=(1.0, 4.0), prob=0.3),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', meta_keys={{_base_.meta_keys}}),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='PackInputs', meta_keys={{_base_.meta_keys}}),
]
train_dataloader = dict(batch_size=16, num_workers=0, persistent_workers=False,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=32, num_workers=0, persistent_workers=False,
                      dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(type='AdamW', lr=3e-3, weight_decay=1e-4))
param_scheduler = dict(type='CosineAnnealingLR', T_max=4, eta_min=1e-5, by_epoch=True)
train_cfg = dict(by_epoch=True, max_epochs=4, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=16)

default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=1, max_keep_ckpts=1))
