# Solution manifest: per-frame crash ("crush moment") detection in dashcam videos.
# bash train.sh 4 crash && bash inference.sh 4 crash  ->  work_dirs/crash/submission.csv
#
# Data contract (under data_root, or DATA_ROOT):
#   train/                 the training videos
#   train_labels/          <video stem>.csv per training video, one row per frame: a frame index
#                          column (frame / frame_id / ..., counted from 0 or 1) and a type column
#                          (before crush | crush moment | after crush)
#   test/                  the videos to predict
#   test_labels/           optional, same format: AUC / accuracy / log loss of the submission
#   checkpoints/efficientnetv2-s_in21k-pre-3rdparty_in1k_20221220-7a7c8475.pth  (repository root)
#
# Output: work_dirs/crash/submission.csv = video,frame_id,pred (video = file stem, frame_id from
# inference.frame_base, pred = crash probability averaged over the runs and folds); per fold
# work_dirs/crash/<run>/fold<k>/ (curves.png, best_auc_..._epoch_N.pth, test_preds/<stem>.csv).
# Annotated test videos: annotate_videos=True below, or CRASH_ANNOTATE=1 (0 turns them off)
#   -> work_dirs/crash/annotated/<stem>.mp4.
solution = 'crash'
flow = 'crash'
data_root = 'data/crash'
work_dir = 'work_dirs/crash'
inputs = dict(train_videos='train', train_labels='train_labels', test_videos='test',
              test_labels='test_labels')
extract = dict(workers=None, options=dict(ext='jpg', quality=95))
preprocess = dict(folds=5, seed=0)  # k-fold by video, stratified by has-a-crash
folds = [0, 1, 2, 3, 4]  # FOLDS=0 trains one fold only; inference averages the trained folds
auto_scale_lr = True
seed = 0  # every training gets --seed 0 (deterministic = True adds --deterministic)
inference = dict(batch_size=32, frame_base=0, threshold=0.5)
annotate_videos = False

# mmpretrain's ImageNet-21k-pretrained, ImageNet-1k-finetuned EfficientNetV2-S (a full classifier
# checkpoint; its 1000-class head is skipped, the backbone is loaded).
efficientnetv2_s = dict(
    file='checkpoints/efficientnetv2-s_in21k-pre-3rdparty_in1k_20221220-7a7c8475.pth',
    what="mmpretrain's EfficientNetV2-S weights (efficientnetv2-s_in21k-pre-3rdparty_in1k_"
         '20221220-7a7c8475.pth, from the mmpretrain model zoo, efficientnet_v2/metafile.yml)',
    cfg_options={'model.pretrained': '{file}'},
)
runs = [
    dict(name='effnetv2_s', kind='classifier', weight=1.0,
         config='configs/crash/efficientnetv2-s_4xb16-cos-12e_crash-frames-384px.py',
         pretrained=efficientnetv2_s),
]
