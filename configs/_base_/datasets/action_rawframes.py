# Clip action recognition on extracted frames (tools/data/extract_frames.py) with the lists of
# tools/data/preprocess.py action: `<data_root>/rawframes/<video stem>/img_00001.jpg` and
# `<data_root>/lists/{train,val}_fold<k>.txt` (`frame_dir total_frames label`).
# The solution runner sets the real paths per fold with --cfg-options on the dataloaders.
dataset_type = 'RawframeDataset'
data_root = 'data/action/'
rawframes = data_root + 'rawframes'
ann_file_train = data_root + 'lists/train_fold0.txt'
ann_file_train_oversampled = data_root + 'lists/train_fold0_oversampled.txt'
ann_file_val = data_root + 'lists/val_fold0.txt'
ann_file_test = data_root + 'lists/test.txt'

num_segments = 8
crop_size = 224
scale_short = 256
# `frame_dir` lets predictions be aligned by video id (tools/ensemble.py), never by position.
meta_keys = ('img_shape', 'img_key', 'video_id', 'timestamp', 'frame_dir')

train_pipeline = [
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=num_segments),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, scale_short)),
    dict(type='MultiScaleCrop', input_size=crop_size, scales=(1, 0.875, 0.75, 0.66),
         random_crop=False, max_wh_scale_gap=1, num_fixed_crops=13),
    dict(type='Resize', scale=(crop_size, crop_size), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.05),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs', meta_keys=meta_keys),
]
val_pipeline = [
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=num_segments,
         test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, scale_short)),
    dict(type='CenterCrop', crop_size=crop_size),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs', meta_keys=meta_keys),
]
test_pipeline = val_pipeline
# `--tta` (MMAction2's multi-view testing, as its TSM configs do): two interleaved 8-frame clips
# (TSM's twice_sample) x three crops along the long side = 6 views a video, whose class
# probabilities the recognizer averages itself (cls_head.average_clips='prob'): no tta_model.
tta_pipeline = [dict(val_pipeline[0], twice_sample=True), *val_pipeline[1:3],
                dict(type='ThreeCrop', crop_size=crop_size), *val_pipeline[4:]]

train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, ann_file=ann_file_train, data_prefix=dict(img=rawframes),
                 filename_tmpl='img_{:05d}.jpg', pipeline=train_pipeline))
# Validation and test: the train loader with another sampler, list and pipeline (test mode).
val_dataloader = dict(
    train_dataloader, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(train_dataloader['dataset'], ann_file=ann_file_val, pipeline=val_pipeline,
                 test_mode=True))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(val_dataloader['dataset'], ann_file=ann_file_test, pipeline=test_pipeline))

val_evaluator = dict(type='AccMetric')
# The test list has no labels (label -1): inference dumps predictions (tools/test.py --dump).
test_evaluator = []
