# Demo model 2: demo model 1 on the oversampled train list.
_base_ = './tsm_mobilenetv2_1xb8-1x1x8-step-20e_action-demo-rawframes-64px.py'

train_dataloader = dict(dataset=dict(ann_file='data/demo/lists/train_fold0_oversampled.txt'))
