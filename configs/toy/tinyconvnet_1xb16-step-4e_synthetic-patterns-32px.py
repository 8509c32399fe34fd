# Toy: a tiny CNN classifier on SYNTHETIC stripe/checker images generated in memory.
# Trains in seconds on a CPU; used by the foundation tests (resume, distributed, trust policy).
_base_ = '../_base_/runtime_mmpretrain.py'

num_classes = 3
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(num_classes=num_classes, mean=[127.5] * 3, std=[64.0] * 3),
    backbone=dict(type='TinyConvNet', base_channels=8, num_stages=3, out_indices=(2, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=num_classes,
        in_channels=32,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

pipeline = [dict(type='PackInputs', meta_keys=('sample_id', 'sample_idx'))]
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='SyntheticPatternDataset', num_samples=96, seed=0, pipeline=pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='SyntheticPatternDataset', num_samples=48, seed=1, pipeline=pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[3], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=4, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=16)

default_hooks = dict(logger=dict(interval=2))
