# Single-object localisation images (data_prep/localize_lists.py's lists), letterboxed to
# img_size: one class and one box per image. The solution runner points ann_file, data_prefix,
# classes and fold at the data with --cfg-options.
_base_ = ['../tta_flip.py']

dataset_type = 'LocalizeDataset'
data_root = 'data/localize/'
img_size = 448

# What the head needs to map its box back to the original image, and what the metric compares.
meta_keys = ('sample_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'letterbox_pad',
             'box_affine', 'ori_bbox', 'flip', 'flip_direction')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='BoxRandomCrop', scale=(0.7, 1.0), prob=0.5),
    dict(type='BoxRandomFlip', prob=0.5, directions=('horizontal', )),
    dict(type='Letterbox', size=img_size),
    dict(type='BoxTarget'),
    dict(type='PackInputs', algorithm_keys=('gt_bbox', ), meta_keys=meta_keys),
]
# `--tta`: BoxRandomFlip records the mirror in `box_affine`, so each view's box maps back to the
# original image before MeanScoreTTA averages the boxes (mmpretrain's RandomFlip would not).
tta_transforms = [[dict(type='BoxRandomFlip', prob=0.0), dict(type='BoxRandomFlip', prob=1.0)]]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Letterbox', size=img_size),
    dict(type='BoxTarget'),
    dict(type='PackInputs', algorithm_keys=('gt_bbox', ), meta_keys=meta_keys),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file=data_root + 'lists/annotations.csv',
        data_prefix=dict(img_path=data_root + 'train'),
        classes=data_root + 'lists/classes.txt',
        split='train',
        fold=0,
        pipeline=train_pipeline))
# Validation: the held-out fold of the same list; test: every image of the test list.
val_dataloader = dict(
    train_dataloader, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(train_dataloader['dataset'], split='val', pipeline=test_pipeline))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(type=dataset_type, ann_file=data_root + 'lists/test.csv',
                 data_prefix=dict(img_path=data_root + 'test'),
                 classes=data_root + 'lists/classes.txt', split='all', pipeline=test_pipeline))

# Test images have no box: the metric then scores nothing and the predictions are dumped.
val_evaluator = dict(type='LocalizeMetric', iou_thrs=(0.5, 0.75))
test_evaluator = val_evaluator
