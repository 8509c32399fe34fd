# MobileNetV3-small at 224 px: a fast baseline (and CPU-sized), label smoothing, cosine decay.
_base_ = [
    'mmpretrain::_base_/models/mobilenet_v3/mobilenet_v3_small_imagenet.py',
    '../_base_/datasets/sports_images.py',
    'mmpretrain::_base_/schedules/imagenet_bs256_coslr.py',
    '../_base_/runtime_mmpretrain.py',
]

model = dict(head=dict(loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
                       topk=(1, )))
train_dataloader = dict(batch_size=64)
val_dataloader = dict(batch_size=64)
test_dataloader = dict(batch_size=64)

optim_wrapper = dict(optimizer=dict(lr=0.02, weight_decay=4e-5))
param_scheduler = dict(T_max=60, end=60)
train_cfg = dict(max_epochs=60)
auto_scale_lr = dict(base_batch_size=256)
default_hooks = dict(checkpoint=dict(save_best='cls/macro_f1', rule='greater'))
