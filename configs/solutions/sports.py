# Solution manifest: image classification contests (origin: two sports image contests).
# bash train.sh 4 sports && bash inference.sh 4 sports  ->  work_dirs/sports/submission.csv
#
# Data contract (under data_root, or DATA_ROOT):
#   train.csv    image_id,label   (image_id = a file name in train/, with or without extension)
#   test.csv     image_id         (its order is the submission's order)
#   train/ test/ the images
#   Or, instead of train.csv + train/: inputs.train_folder = 'train' with one sub-folder per class.
solution = 'sports'
flow = 'sports'
data_root = 'data/sports'
work_dir = 'work_dirs/sports'
inputs = dict(
    train_csv='train.csv',
    train_images='train',
    train_folder=None,  # e.g. 'train': class-per-sub-folder layout instead of train.csv
    test_csv='test.csv',
    test_images='test',
    classes=None,  # a class-list file in data_root; None: train.csv's sorted labels
)
# Stratified k-fold (folds=K), or a holdout when valid_size is set (e.g. 0.2; folds = [0]).
preprocess = dict(folds=5, seed=0)
folds = [0]  # FOLDS=0,1,2,3,4 trains every fold; inference averages them all
# Scale each config's lr by (processes x batch) / its auto_scale_lr.base_batch_size.
auto_scale_lr = True
seed = 0  # every training gets --seed 0 (deterministic = True adds --deterministic)
# tta = True: predict each image and its mirror image (tools/test.py --tta); training then also
# writes tta_oof.json, the out-of-fold accuracy without vs with it. A run's tta=False opts out.

# ImageNet weights in mmpretrain's layout (from mmpretrain's model zoo: configs/*/metafile.yml).
backbone_init = {'model.backbone.init_cfg.type': 'Pretrained',
                 'model.backbone.init_cfg.checkpoint': '{file}',
                 'model.backbone.init_cfg.prefix': 'backbone.'}
efficientnetv2_s = dict(
    file='checkpoints/efficientnetv2-s_3rdparty_in1k_20221220-f0eaff9d.pth',
    what="mmpretrain's ImageNet EfficientNetV2-S checkpoint "
         '(efficientnetv2-s_3rdparty_in1k_20221220-f0eaff9d.pth)',
    cfg_options=backbone_init)
swin_b = dict(
    file='checkpoints/swin_base_patch4_window7_224_22kto1k-f967f799.pth',
    what="mmpretrain's ImageNet-22k->1k Swin-B checkpoint "
         '(swin_base_patch4_window7_224_22kto1k-f967f799.pth)',
    cfg_options=backbone_init)
runs = [
    dict(name='effnetv2_s', kind='classifier', weight=0.5,
         config='configs/sports/efficientnetv2-s_4xb16-cos-30e_sports-384px.py',
         pretrained=efficientnetv2_s),
    dict(name='swin_b', kind='classifier', weight=0.5,
         config='configs/sports/swin-base-w7_4xb16-cos-30e_sports-224px.py', pretrained=swin_b),
]
