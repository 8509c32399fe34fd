# TSM-R50 on extracted frames, 1x1x8 sampling: model 1 of the action solution.
# 4 GPUs x 8 clips. ImageNet init from a local torchvision ResNet-50 file (offline):
#   --cfg-options model.backbone.pretrained=checkpoints/resnet50-0676ba61.pth \
#                 model.backbone.pretrained2d=True
# (the solution manifest does this when the file is present).
_base_ = [
    'mmaction::_base_/models/tsm_r50.py',
    '../_base_/runtime_mmaction.py',
    '../_base_/datasets/action_rawframes.py',
]

num_classes = 6  # the runner sets the real count from the solution's class list
model = dict(
    backbone=dict(pretrained=None, pretrained2d=False, num_segments={{_base_.num_segments}}),
    cls_head=dict(num_classes=num_classes, num_segments={{_base_.num_segments}}))

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=5),
    dict(type='MultiStepLR', begin=0, end=50, by_epoch=True, milestones=[25, 45], gamma=0.1),
]
optim_wrapper = dict(
    constructor='TSMOptimWrapperConstructor',
    paramwise_cfg=dict(fc_lr5=True),
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4),
    clip_grad=dict(max_norm=20, norm_type=2))
auto_scale_lr = dict(enable=False, base_batch_size=32)  # 4 GPUs x 8 clips
# --amp in fp16: mmaction's head computes its top-k accuracy through .numpy(), which has no bf16.
amp_dtype = 'float16'

default_hooks = dict(checkpoint=dict(interval=1, save_best='acc/top1', rule='greater'))
