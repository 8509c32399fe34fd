# Swin-L (window 12) at 384 px, label smoothing, AdamW with warm-up and cosine decay.
_base_ = ['mmpretrain::_base_/models/swin_transformer/large_384.py',
          '../_base_/datasets/sports_images-384px.py', '../_base_/schedules/swin_adamw_cos-30e.py',
          '../_base_/runtime_sports.py']

model = dict(
    backbone=dict(drop_path_rate=0.2),
    head=dict(loss=dict(_base_.label_smooth_loss, _delete_=True), topk=(1, )))

# Swin-L's own test resize: the whole image to 384 x 384, no crop.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=384, backend='pillow', interpolation='bicubic'),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=8)
val_dataloader = dict(batch_size=8, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(batch_size=8, dataset=dict(pipeline=test_pipeline))

optim_wrapper = dict(optimizer=dict(lr=5e-5))
auto_scale_lr = dict(base_batch_size=32)
