# ResNet-50 fine-tuned on an image classification contest: ImageNet-pretrained backbone (a local
# file, set by the solution manifest's `pretrained`), label smoothing 0.1, SGD with step decay.
_base_ = [
    'mmpretrain::_base_/models/resnet50.py',
    '../_base_/datasets/sports_images.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/runtime_mmpretrain.py',
]

model = dict(head=dict(loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
                       topk=(1, )))

optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = dict(milestones=[15, 25])
train_cfg = dict(max_epochs=30)
auto_scale_lr = dict(base_batch_size=128)
default_hooks = dict(checkpoint=dict(save_best='cls/macro_f1', rule='greater'))
