# MobileNetV3-small at 224 px: a fast baseline (and CPU-sized), label smoothing, cosine decay.
_base_ = ['mmpretrain::_base_/models/mobilenet_v3/mobilenet_v3_small_imagenet.py',
          '../_base_/datasets/sports_images.py',
          'mmpretrain::_base_/schedules/imagenet_bs256_coslr.py', '../_base_/runtime_sports.py']

model = dict(head=dict(loss=_base_.label_smooth_loss, topk=(1, )))
train_dataloader = val_dataloader = test_dataloader = dict(batch_size=64)

optim_wrapper = dict(optimizer=dict(lr=0.02, weight_decay=4e-5))
param_scheduler = dict(T_max=60, end=60)
train_cfg = dict(max_epochs=60)
auto_scale_lr = dict(base_batch_size=256)
