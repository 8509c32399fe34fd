# Swin-B (window 7) at 224 px: mmpretrain's recipe (label smoothing, mixup + cutmix, AdamW,
# linear warm-up then cosine) shortened to a 30-epoch fine-tune.
_base_ = [
    'mmpretrain::_base_/models/swin_transformer/base_224.py',
    '../_base_/datasets/sports_images.py',
    'mmpretrain::_base_/schedules/imagenet_bs1024_adamw_swin.py',
    '../_base_/runtime_mmpretrain.py',
]

model = dict(backbone=dict(drop_path_rate=0.2))
train_dataloader = dict(batch_size=16)
val_dataloader = dict(batch_size=16)
test_dataloader = dict(batch_size=16)

optim_wrapper = dict(optimizer=dict(lr=1e-4), clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, end=2, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=2, end=30),
]
train_cfg = dict(max_epochs=30)
auto_scale_lr = dict(base_batch_size=64)
default_hooks = dict(checkpoint=dict(save_best='cls/macro_f1', rule='greater'))
