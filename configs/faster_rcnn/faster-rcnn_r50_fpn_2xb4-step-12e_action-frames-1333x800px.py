# Faster R-CNN R50-FPN on the action videos' frames (boxes CSV -> COCO json per fold by
# tools/data/preprocess.py action). Its per-video box counts feed the detector-count rules.
# Offline: the backbone starts from scratch unless a local torchvision ResNet-50 file is given:
#   --cfg-options model.backbone.pretrained=checkpoints/resnet50-0676ba61.pth
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_detection.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    '../_base_/runtime_mmdet.py',
]

classes = ('ride_kick', 'fall_down')  # the runner sets the boxes CSV's classes
model = dict(
    backbone=dict(init_cfg=None),
    roi_head=dict(bbox_head=dict(num_classes=len(classes))))

data_root = 'data/action/'
frames = 'rawframes/'
image_scale = (1333, 800)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
val_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
test_pipeline = [  # the test frames have no boxes
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]

train_dataloader = dict(
    batch_size=4,
    dataset=dict(data_root=data_root, ann_file='lists/det_train_fold0.json',
                 data_prefix=dict(img=frames), metainfo=dict(classes=classes),
                 filter_cfg=dict(filter_empty_gt=True, min_size=8), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    dataset=dict(data_root=data_root, ann_file='lists/det_val_fold0.json',
                 data_prefix=dict(img=frames), metainfo=dict(classes=classes),
                 pipeline=val_pipeline))
test_dataloader = dict(
    batch_size=4,
    dataset=dict(data_root=data_root, ann_file='lists/det_test.json',
                 data_prefix=dict(img=frames), metainfo=dict(classes=classes),
                 pipeline=test_pipeline))
val_evaluator = dict(ann_file=data_root + 'lists/det_val_fold0.json')
test_evaluator = []  # inference dumps the boxes (tools/test.py --dump)

optim_wrapper = dict(optimizer=dict(lr=0.01))  # 2 GPUs x 4 images
auto_scale_lr = dict(enable=False, base_batch_size=8)
default_hooks = dict(checkpoint=dict(interval=1, save_best='coco/bbox_mAP', rule='greater'))
