# Crash-moment frames: one image per video frame, label 1 = crush moment, 0 = other frames.
# Lists from `tools/data/preprocess.py crash` (`<video stem>/img_00001.jpg target` per line,
# relative to the rawframes root). The solution runner sets the real paths per fold with
# --cfg-options on the dataloaders (ann_file, data_prefix.img_path).
_base_ = ['../tta_flip.py']  # `--tta`: each frame plus its mirror image (training flips too)

dataset_type = 'CustomDataset'
data_root = 'data/crash/'
metainfo = dict(classes=('other', 'crush_moment'))
img_size = 384
meta_keys = ('sample_idx', 'img_path', 'ori_shape', 'img_shape')

# The origin's augmentations: shift/scale/rotate, blur, brightness/contrast, noise, flip.
# Frames are resized (not cropped) to a square: a crash can happen anywhere in the frame.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='RandomShiftScaleRotate', shift_limit=0.0625, scale_limit=0.1, rotate_limit=10,
         prob=0.5),
    dict(type='RandomApply', prob=0.3,
         transforms=[dict(type='GaussianBlur', magnitude_range=(0.1, 1.5), magnitude_std='inf',
                          prob=1.0)]),
    dict(type='RandomApply', prob=0.5,
         transforms=[dict(type='ColorJitter', brightness=0.2, contrast=0.2)]),
    dict(type='GaussianNoise', std_range=(3.0, 10.0), prob=0.3),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', meta_keys=meta_keys),
]
# tools/infer_video.py applies this pipeline (without LoadImageFromFile) to decoded frames.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='PackInputs', meta_keys=meta_keys),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='ClassBalancedSampler'),  # 50/50 crash / other frames per epoch
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='lists/train_fold0.txt',
                 data_prefix=dict(img_path='rawframes/'), metainfo=metainfo,
                 pipeline=train_pipeline))
# Validation and test: the train loader with another batch size, sampler, list and pipeline.
val_dataloader = dict(
    train_dataloader, batch_size=32, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(train_dataloader['dataset'], ann_file='lists/val_fold0.txt',
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='CrashMetric', threshold=0.5)
test_evaluator = val_evaluator

# The best checkpoint by validation AUC, its name carrying the scores
# (best_auc_0.7834_acc_0.8630_ll_0.4610_epoch_11.pth); the regular ones stay for resuming.
custom_hooks = [
    dict(type='BestMetricsCheckpointHook', save_best='crash/auc', rule='greater',
         tie_break='crash/bce', tie_rule='less',
         name_keys=dict(auc='crash/auc', acc='crash/acc', ll='crash/bce')),
]
