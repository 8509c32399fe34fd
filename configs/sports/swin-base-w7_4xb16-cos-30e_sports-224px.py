# Swin-B (window 7) at 224 px: mmpretrain's recipe (label smoothing, mixup + cutmix, AdamW,
# linear warm-up then cosine) shortened to a 30-epoch fine-tune.
_base_ = ['mmpretrain::_base_/models/swin_transformer/base_224.py',
          '../_base_/datasets/sports_images.py', '../_base_/schedules/swin_adamw_cos-30e.py',
          '../_base_/runtime_sports.py']

model = dict(backbone=dict(drop_path_rate=0.2))
train_dataloader = val_dataloader = test_dataloader = dict(batch_size=16)

optim_wrapper = dict(optimizer=dict(lr=1e-4))
auto_scale_lr = dict(base_batch_size=64)
