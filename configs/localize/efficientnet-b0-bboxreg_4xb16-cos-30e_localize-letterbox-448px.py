# Localize: ImageNet EfficientNet-B0 (mmpretrain 'b0') + BBoxRegHead (BCE + 75 x SmoothL1) on
# 448 x 448 letterboxed images; the backbone starts frozen and its last stages are unfrozen
# progressively (origin's best run: the last 3-5 stages); early stopping on validation mIoU.
# Pretrained weights: the solution manifest passes model.pretrained=<local file>.
_base_ = [
    'mmpretrain::_base_/models/efficientnet_b0.py',
    '../_base_/datasets/localize_images.py',
    '../_base_/runtime_mmpretrain.py',
]

num_classes = 2
model = dict(
    data_preprocessor=dict(
        num_classes=num_classes,
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    head=dict(
        _delete_=True,
        type='BBoxRegHead',
        num_classes=num_classes,
        in_channels=1280,
        hidden_channels=256,
        dropout=0.2,
        bbox_loss_weight=75.0,
        smooth_l1_beta=1.0))

optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, T_max=29, eta_min=1e-5),
]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=64)

default_hooks = dict(checkpoint=dict(save_best='loc/mIoU', rule='greater'))
custom_hooks = [
    # EfficientNet 'b0' has 7 stages (stem, 5 MBConv groups, head conv): head only for epochs
    # 1-2, then the last 3 stages, the last 5 from epoch 6, everything from epoch 12.
    # Each newly unfrozen stage's updates ramp up over 50 iterations (warmup_iters); without
    # pretrained weights (model.pretrained / init_cfg / load_from) nothing is frozen.
    dict(type='ProgressiveUnfreezeHook', module='backbone', schedule={3: 3, 6: 5, 12: 'all'},
         warmup_iters=50),
    # Patience counts only after the LR warm-up and after the last unfreeze step's ramp.
    dict(type='PhaseAwareEarlyStoppingHook', monitor='loc/mIoU', rule='greater',
         min_delta=0.002, patience=6),
]
# Frozen parameters get no gradient: DDP must allow unused parameters (several processes).
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
