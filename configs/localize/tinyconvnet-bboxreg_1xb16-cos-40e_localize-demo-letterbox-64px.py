# Localize on a CPU: the EfficientNet-B0 recipe with a tiny CNN at 64 x 64 and a short schedule,
# for the SYNTHETIC localize_demo data (tools/data/make_localize_demo.py) and the tests.
_base_ = './efficientnet-b0-bboxreg_4xb16-cos-30e_localize-letterbox-448px.py'

img_size = 64
model = dict(
    data_preprocessor=dict(mean=[127.5] * 3, std=[64.0] * 3),
    backbone=dict(_delete_=True, type='TinyConvNet', base_channels=16, num_stages=4,
                  out_indices=(3, )),
    # No pooling neck: the box branch flattens the 4 x 4 map, so where the object is survives.
    neck=None,
    head=dict(in_channels=128, bbox_pool='flatten', feat_hw=(4, 4), hidden_channels=64,
              dropout=0.0))

# The base pipelines with their letterbox at 64 px.
train_pipeline = [*_base_.train_pipeline]  # load, crop, flip, Letterbox, target, pack
train_pipeline[3] = dict(train_pipeline[3], size=img_size)
test_pipeline = [*_base_.test_pipeline]  # load, Letterbox, target, pack
test_pipeline[1] = dict(test_pipeline[1], size=img_size)
train_dataloader = dict(num_workers=0, persistent_workers=False,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(num_workers=0, persistent_workers=False,
                       dataset=dict(pipeline=test_pipeline))

optim_wrapper = dict(optimizer=dict(lr=5e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, T_max=39, eta_min=1e-4),
]
train_cfg = dict(max_epochs=40)
auto_scale_lr = dict(base_batch_size=16)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(max_keep_ckpts=1))
# TinyConvNet has no pretrained weights: the unfreeze hook sees that and trains it whole from
# the first iteration (and logs so). Freezing a random backbone kept the class loss at ln 2 and
# made the box loss jump at the unfreeze (issue 16). With weights (e.g. load_from) the schedule
# applies: head only in epoch 1, the last 2 stages in epoch 2, then all.
custom_hooks = [
    dict(type='ProgressiveUnfreezeHook', module='backbone', schedule={2: 2, 3: 'all'}),
    dict(type='PhaseAwareEarlyStoppingHook', monitor='loc/mIoU', rule='greater',
         min_delta=0.002, patience=10),
]
