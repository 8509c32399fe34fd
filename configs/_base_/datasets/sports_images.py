# Image classification data of the sports solution: MMPretrain's CustomDataset on the lists
# that custom_modules/data_prep/image_lists.py writes (`relative/path.jpg label` lines; data_prefix
# = the image folder; class names from its classes.txt, label = line number). The runner points
# ann_file / data_prefix / classes at the data and fold with --cfg-options; the defaults below
# are the holdout layout of `tools/data/preprocess.py images ... --out-dir data/sports/lists`.
# The 384-px variant is sports_images-384px.py (this file with its crop and resize sizes changed).
_base_ = ['../tta_flip.py']  # `--tta`: the test pipeline plus its mirror image

dataset_type = 'CustomDataset'
data_root = 'data/sports/'
class_list = data_root + 'lists/classes.txt'
train_list = 'lists/train.txt'

data_preprocessor = dict(
    num_classes=1000,  # the runner sets it from classes.txt (mixup/cutmix need it)
    mean=[123.675, 116.28, 103.53],  # ImageNet RGB, 0-255: pretrained backbones expect it
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file=train_list,
                 data_prefix='train', classes=class_list, pipeline=train_pipeline))
# Validation and test: the train loader with another sampler, list, image folder and pipeline.
val_dataloader = dict(
    train_dataloader, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(train_dataloader['dataset'], ann_file='lists/val.txt', pipeline=test_pipeline))
# The test list's labels are -1 (unknown): predictions come from `tools/test.py --dump` or
# tools/predict_images.py, and the metric skips unlabelled samples.
test_dataloader = dict(
    val_dataloader,
    dataset=dict(val_dataloader['dataset'], ann_file='lists/test.txt', data_prefix='test'))

# Accuracy, macro F1, per-class table and the weighted-random baseline of the training shares.
val_evaluator = dict(type='ClassificationReport', train_ann_file=data_root + train_list)
test_evaluator = val_evaluator
