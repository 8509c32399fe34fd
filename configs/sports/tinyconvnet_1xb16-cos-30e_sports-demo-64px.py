# A CPU-sized classifier for the sports demo and the tests: podium's TinyConvNet at 64 px, the
# sports data base and recipe (label smoothing, cosine decay), trains in seconds.
_base_ = ['../_base_/datasets/sports_images.py',
          'mmpretrain::_base_/schedules/imagenet_bs256_coslr.py', '../_base_/runtime_sports.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(type='TinyConvNet', base_channels=16, num_stages=3, out_indices=(2, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,  # the runner sets it from classes.txt
        in_channels=64,
        loss=_base_.label_smooth_loss,
        topk=(1, )))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=64, crop_ratio_range=(0.6, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=64, edge='short'),
    dict(type='CenterCrop', crop_size=64),
    dict(type='PackInputs'),
]
loader = dict(batch_size=16, num_workers=0, persistent_workers=False)
train_dataloader = dict(**loader, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(**loader, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(**loader, dataset=dict(pipeline=test_pipeline))

optim_wrapper = dict(optimizer=dict(lr=0.1, weight_decay=1e-4))
param_scheduler = dict(T_max=30, end=30)
train_cfg = dict(max_epochs=30)
auto_scale_lr = dict(base_batch_size=16)
default_hooks = dict(logger=dict(interval=5))
randomness = dict(seed=0)  # the demo's figures repeat from run to run
