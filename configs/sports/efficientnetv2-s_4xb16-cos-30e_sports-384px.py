# EfficientNetV2-S at 384 px (its fine-tuning size), label smoothing, SGD with cosine decay.
_base_ = ['mmpretrain::_base_/models/efficientnet_v2/efficientnetv2_s.py',
          '../_base_/datasets/sports_images-384px.py',
          'mmpretrain::_base_/schedules/imagenet_bs256_coslr.py', '../_base_/runtime_sports.py']

model = dict(head=dict(loss=_base_.label_smooth_loss, topk=(1, )))
train_dataloader = val_dataloader = test_dataloader = dict(batch_size=16)

optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = dict(T_max=30, end=30)
train_cfg = dict(max_epochs=30)
auto_scale_lr = dict(base_batch_size=64)
