# The sports family's runtime: podium's MMPretrain runtime with the best checkpoint kept by
# validation macro F1, and the family's loss (label smoothing 0.1) for the configs' heads.
_base_ = './runtime_mmpretrain.py'

default_hooks = dict(checkpoint=dict(save_best='cls/macro_f1', rule='greater'))
label_smooth_loss = dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')
