# Model 2 of the action solution: model 1 trained on the oversampled list (rare classes
# repeated by the manifest's per-class multipliers, tools/data/preprocess.py action).
_base_ = './tsm_imagenet-pretrained-r50_4xb8-1x1x8-step-50e_action-rawframes-224px.py'

train_dataloader = dict(dataset=dict(ann_file={{_base_.ann_file_train_oversampled}}))
