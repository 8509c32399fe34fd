# Demo model 2: demo model 1 on the oversampled train list.
_base_ = './tsm_mobilenetv2_1xb8-1x1x8-20e_demo-rawframes-rgb.py'

train_dataloader = dict(dataset=dict(ann_file='data/demo/lists/train_fold0_oversampled.txt'))
