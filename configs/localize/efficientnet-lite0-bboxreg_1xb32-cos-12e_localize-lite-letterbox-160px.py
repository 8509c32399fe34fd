# Localize on a CPU: the localize recipe (BBoxRegHead: BCE + 75 x SmoothL1, letterbox, progressive
# unfreezing, early stopping on mIoU) with ImageNet EfficientNet-Lite0 at 160 x 160 for 12 epochs.
# The solution manifest (configs/solutions/localize_lite.py) passes the converted weights as
# model.backbone.init_cfg.
_base_ = './efficientnet-b0-bboxreg_4xb16-cos-30e_localize-letterbox-448px.py'

img_size = 160
max_epochs = 12
model = dict(
    # The Lite weights are TensorFlow ports: inputs scaled to [-1, 1].
    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3),
    backbone=dict(_delete_=True, type='EfficientNetLite', arch='lite0'))

# The base pipelines with their letterbox at 160 px.
train_pipeline = [*_base_.train_pipeline]  # load, crop, flip, Letterbox, target, pack
train_pipeline[3] = dict(train_pipeline[3], size=img_size)
test_pipeline = [*_base_.test_pipeline]  # load, Letterbox, target, pack
test_pipeline[1] = dict(test_pipeline[1], size=img_size)
# Two CPU cores: data loading in the main process (a worker would take a core from the model).
loader = dict(batch_size=32, num_workers=0, persistent_workers=False)
train_dataloader = dict(**loader, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(**loader, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(**loader, dataset=dict(pipeline=test_pipeline))

param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, end=max_epochs, T_max=max_epochs - 1,
         eta_min=1e-5, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(max_keep_ckpts=1))
# EfficientNetLite's 7 layers (stem, 5 block groups, head conv): the new head alone in epoch 1,
# the last 3 layers from epoch 2, the last 4 from epoch 4: the stem and the first two block groups
# keep their ImageNet filters (no backward pass through the large early maps: ~3x faster).
custom_hooks = [
    dict(type='ProgressiveUnfreezeHook', module='backbone', schedule={2: 3, 4: 4},
         warmup_iters=50),
    dict(type='PhaseAwareEarlyStoppingHook', monitor='loc/mIoU', rule='greater',
         min_delta=0.002, patience=4),
]
