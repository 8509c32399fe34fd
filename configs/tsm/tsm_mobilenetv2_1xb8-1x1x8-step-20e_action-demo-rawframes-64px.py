# Demo model 1: the action TSM recipe with a MobileNetV2-TSM from scratch at 64 px, so the whole
# demo trains on a 2-core CPU in minutes. The demo frames are 96x96 SYNTHETIC renders.
_base_ = './tsm_imagenet-pretrained-r50_4xb8-1x1x8-step-50e_action-rawframes-224px.py'

data_root = 'data/demo/'
rawframes = data_root + 'rawframes'
model = dict(
    backbone=dict(_delete_=True, type='MobileNetV2TSM', num_segments=8, shift_div=8,
                  is_shift=True, widen_factor=0.5, pretrained=None, pretrained2d=False),
    cls_head=dict(in_channels=1280, dropout_ratio=0.2, init_std=0.01))

crop_size = 64
meta_keys = ('img_shape', 'img_key', 'video_id', 'timestamp', 'frame_dir')
train_pipeline = [
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=8),
    dict(type='RawFrameDecode'),
    dict(type='RandomResizedCrop', area_range=(0.6, 1.0)),
    dict(type='Resize', scale=(crop_size, crop_size), keep_ratio=False),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=8, test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(crop_size, crop_size), keep_ratio=False),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs', meta_keys=meta_keys),
]
# `--tta`: multi-clip only (two interleaved clips, averaged by the head). The frames are squeezed
# whole to 64 x 64, so there is nothing to crop, and no flip: move_left/move_right would swap.
tta_pipeline = [dict(test_pipeline[0], twice_sample=True), *test_pipeline[1:]]
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(
    **loader, dataset=dict(data_prefix=dict(img=rawframes), pipeline=train_pipeline,
                           ann_file=data_root + 'lists/train_fold0.txt'))
val_dataloader = dict(
    **loader, dataset=dict(data_prefix=dict(img=rawframes), pipeline=test_pipeline,
                           ann_file=data_root + 'lists/val_fold0.txt'))
test_dataloader = dict(
    **loader, dataset=dict(data_prefix=dict(img=rawframes), pipeline=test_pipeline,
                           ann_file=data_root + 'lists/test.txt'))

train_cfg = dict(max_epochs=20)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.2, by_epoch=True, begin=0, end=2),
    dict(type='MultiStepLR', begin=0, end=20, by_epoch=True, milestones=[15], gamma=0.1),
]
optim_wrapper = dict(optimizer=dict(lr=0.01))
auto_scale_lr = dict(base_batch_size=8)
default_hooks = dict(logger=dict(interval=5))
randomness = dict(seed=0)
