#!/bin/sh
# Run from the repository root after `npm run build`. WORK holds the arranged files and analyses.
set -e
WORK=${WORK:-/tmp/predict-p3}
node results/predict-p3/prepare.mjs "${DATA:-../shared/data/p3-t0-train}" "$WORK"
for exp in fig3-left fig4; do
  for id in nft fft rt-seed0 rt-seed1 rt-seed2; do
    meta=""
    [ $exp = fig4 ] && meta="--metadata $WORK/$exp/$id.meta.jsonl"
    node dist/src/cli/main.js analyze --train "$WORK/$exp/$id.jsonl" --test "$WORK/split/test" --embedder ngram \
      --batch-size 16 --save-steps 10 --max-steps 100 --k 1 --projection-sample 500 --snippet-chars 0 $meta \
      --out "$WORK/analyses/$exp/$id.analysis.json" --quiet
  done
done
node dist/src/cli/main.js predict \
  --experiment results/fig3-left-p3 --analyses "$WORK/analyses/fig3-left" \
  --experiment results/fig4-p3 --analyses "$WORK/analyses/fig4" \
  --out results/predict-p3/predict.json --png-dir results/predict-p3/png --html "$WORK/predict.html"
