# mmpretrain's Swin recipe (AdamW, linear warm-up then cosine) shortened to a 30-epoch fine-tune:
# a 2-epoch warm-up, gradients clipped at 5. The configs set the learning rate.
_base_ = 'mmpretrain::_base_/schedules/imagenet_bs1024_adamw_swin.py'

optim_wrapper = dict(clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, end=2, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=2, end=30),
]
train_cfg = dict(max_epochs=30)
