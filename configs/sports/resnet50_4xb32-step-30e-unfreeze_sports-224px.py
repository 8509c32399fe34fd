# ResNet-50 with the pretrained backbone frozen for the first 2 epochs (only the new head
# learns), its last 2 stages training from epoch 3 and all of it from epoch 5.
_base_ = './resnet50_4xb32-step-30e_sports-224px.py'

custom_hooks = [dict(type='ProgressiveUnfreezeHook', module='backbone', schedule={3: 2, 5: 'all'})]
# Frozen parameters get no gradient: DDP must know (more than one process).
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
