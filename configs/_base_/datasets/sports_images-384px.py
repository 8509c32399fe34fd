# The sports data at 384 px, the fine-tuning size of EfficientNetV2-S and Swin-L: the base's
# pipelines with their crop and resize steps at 384, on every loader.
_base_ = './sports_images.py'

img_size = 384
train_pipeline = [*_base_.train_pipeline]  # load, RandomResizedCrop, flip, pack
train_pipeline[1] = dict(train_pipeline[1], scale=img_size)
test_pipeline = [*_base_.test_pipeline]  # load, ResizeEdge (short edge), CenterCrop, pack
test_pipeline[1] = dict(test_pipeline[1], scale=img_size)
test_pipeline[2] = dict(test_pipeline[2], crop_size=img_size)

train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
