# ResNet-50 fine-tuned on an image classification contest: ImageNet-pretrained backbone (a local
# file, set by the solution manifest's `pretrained`), label smoothing 0.1, SGD with step decay.
_base_ = ['mmpretrain::_base_/models/resnet50.py', '../_base_/datasets/sports_images.py',
          'mmpretrain::_base_/schedules/imagenet_bs256.py', '../_base_/runtime_sports.py']

model = dict(head=dict(loss=_base_.label_smooth_loss, topk=(1, )))

optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = dict(milestones=[15, 25])
train_cfg = dict(max_epochs=30)
auto_scale_lr = dict(base_batch_size=128)
