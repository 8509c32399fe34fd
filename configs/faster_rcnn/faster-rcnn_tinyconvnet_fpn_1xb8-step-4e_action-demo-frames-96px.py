# Demo detector: the action Faster R-CNN recipe with podium's TinyConvNet backbone on the demo's
# 96x96 SYNTHETIC frames, small anchors for its ~27 px objects, a short schedule for a CPU.
_base_ = './faster-rcnn_r50_fpn_2xb4-step-12e_action-frames-1333x800px.py'

data_root = 'data/demo/'
classes = ('ball', 'box')
model = dict(
    data_preprocessor=dict(pad_size_divisor=32),
    backbone=dict(_delete_=True, type='TinyConvNet', base_channels=8, num_stages=5,
                  out_indices=(1, 2, 3, 4)),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=64),
    rpn_head=dict(in_channels=64, feat_channels=64,
                  anchor_generator=dict(scales=[6])),
    roi_head=dict(bbox_roi_extractor=dict(out_channels=64),
                  bbox_head=dict(in_channels=64, fc_out_channels=256,
                                 num_classes=len(classes))),
    train_cfg=dict(rpn_proposal=dict(nms_pre=500, max_per_img=200),
                   rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=300, max_per_img=100)))

# The base pipelines with every Resize at 96 x 96.
image_scale = (96, 96)
train_pipeline, val_pipeline, test_pipeline = (
    [dict(step, scale=image_scale) if step.type == 'Resize' else step for step in pipeline]
    for pipeline in (_base_.train_pipeline, _base_.val_pipeline, _base_.test_pipeline))
loader = dict(num_workers=0, persistent_workers=False)
# The first 240 frames of the fold's train json (about a dozen videos) are plenty for two
# flat-coloured shapes, and keep the CPU demo short.
train_dataloader = dict(
    batch_size=8, **loader,
    dataset=dict(data_root=data_root, metainfo=dict(classes=classes), indices=240,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8, **loader,
    dataset=dict(data_root=data_root, metainfo=dict(classes=classes), pipeline=val_pipeline))
test_dataloader = dict(
    batch_size=8, **loader,
    dataset=dict(data_root=data_root, metainfo=dict(classes=classes), pipeline=test_pipeline))
val_evaluator = dict(ann_file=data_root + 'lists/det_val_fold0.json')

train_cfg = dict(max_epochs=4, val_interval=4)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=30),
    dict(type='MultiStepLR', begin=0, end=4, by_epoch=True, milestones=[3], gamma=0.1),
]
randomness = dict(seed=0)
optim_wrapper = dict(optimizer=dict(lr=0.02))
auto_scale_lr = dict(base_batch_size=8)
default_hooks = dict(logger=dict(interval=10))
