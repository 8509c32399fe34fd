# Solution manifest: single-object localisation (origin: cat/dog class + box, EfficientNet-B0,
# BCE + weighted SmoothL1, letterbox). bash train.sh 4 localize && bash inference.sh 4 localize
#   ->  work_dirs/localize/submission.csv (image_id,label,score,xmin,ymin,xmax,ymax)
#
# Data contract (under data_root, or DATA_ROOT):
#   train/<id>.jpg + train/<id>.txt   one line "cls xmin ymin xmax ymax" (pixels of the image)
#   test/<id>.jpg                     images to predict
#   classes.txt                       optional class list (inputs.classes); else sorted names
solution = 'localize'
flow = 'localize'
data_root = 'data/localize'
work_dir = 'work_dirs/localize'
inputs = dict(
    train_dir='train',
    test_dir='test',
    classes=None,  # a class-list file in data_root; None: the sorted `cls` names
    hidden_test_boxes=None,  # a CSV image_id,cls,xmin,ymin,xmax,ymax to score the submission
)
preprocess = dict(folds=5, seed=0, clip_boxes=False)
folds = [0]  # FOLDS=0,1,2,3,4 trains every fold; the submission averages them
auto_scale_lr = True
seed = 0  # every training gets --seed 0 (deterministic = True adds --deterministic)
gallery_k = 3  # images in top{k}_best.png / top{k}_worst.png

# mmpretrain's ImageNet EfficientNet-B0 (efficientnet-b0_3rdparty_8xb32_in1k in its model zoo).
efficientnet_b0 = dict(
    file='checkpoints/efficientnet-b0_3rdparty_8xb32_in1k_20220119-a7e2a0b1.pth',
    what="mmpretrain's ImageNet EfficientNet-B0 weights "
    '(efficientnet-b0_3rdparty_8xb32_in1k_20220119-a7e2a0b1.pth, from the mmpretrain model zoo)',
)
runs = [
    dict(name='effb0', kind='localizer', weight=1.0,
         config='configs/localize/efficientnet-b0-bboxreg_4xb16-cos-30e_localize-letterbox-448px.py',
         pretrained=dict(**efficientnet_b0, cfg_options={'model.pretrained': '{file}'})),
]
