# Crash-moment frames on a CPU: the crash recipe (CrashFrameHead, 50/50 sampling, augmentations,
# AUC-selected checkpoint) with ImageNet EfficientNet-Lite0 at 128 x 128 for 4 epochs. The stem
# and the first two block groups keep their ImageNet filters (frozen_stages=3: no backward pass
# through the large early feature maps, about 3x faster on a CPU). The solution manifest
# (configs/solutions/crash_lite.py) passes the converted weights as model.backbone.init_cfg.
_base_ = './efficientnetv2-s_4xb16-cos-12e_crash-frames-384px.py'

img_size = 128
max_epochs = 4
model = dict(backbone=dict(_delete_=True, type='EfficientNetLite', arch='lite0',
                           frozen_stages=3))  # + CrashFrameHead(1280), inputs scaled to [-1, 1]

# The base pipelines with their square resize at 128 px.
train_pipeline = [*_base_.train_pipeline]  # load, resize, shift/scale/rotate, blur, jitter, ...
train_pipeline[1] = dict(train_pipeline[1], scale=(img_size, img_size))
test_pipeline = [*_base_.test_pipeline]  # load, resize, pack
test_pipeline[1] = dict(test_pipeline[1], scale=(img_size, img_size))
# Two CPU cores: data loading in the main process (a worker would take a core from the model).
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(**loader, batch_size=32, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(**loader, batch_size=32, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=1e-5, by_epoch=True, begin=1,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(max_keep_ckpts=1))
