# EfficientNetV2-S at 384 px (its fine-tuning size), label smoothing, SGD with cosine decay.
_base_ = [
    'mmpretrain::_base_/models/efficientnet_v2/efficientnetv2_s.py',
    '../_base_/datasets/sports_images.py',
    'mmpretrain::_base_/schedules/imagenet_bs256_coslr.py',
    '../_base_/runtime_mmpretrain.py',
]

model = dict(head=dict(loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
                       topk=(1, )))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=384, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=384, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=384),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=16, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=16, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(batch_size=16, dataset=dict(pipeline=test_pipeline))

optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = dict(T_max=30, end=30)
train_cfg = dict(max_epochs=30)
auto_scale_lr = dict(base_batch_size=64)
default_hooks = dict(checkpoint=dict(save_best='cls/macro_f1', rule='greater'))
