# ResNet-101: the ResNet-50 recipe with a deeper backbone. ImageNet weights in mmpretrain's layout
# (e.g. resnet101_8xb32_in1k_20210831-539c63f8.pth) come from a local file, passed the ResNet-50
# way: model.backbone.init_cfg = Pretrained, checkpoint=<file>, prefix='backbone.'.
_base_ = './resnet50_4xb32-step-30e_sports-224px.py'

model = dict(backbone=dict(depth=101))
