// ssl-finetune --mode full: the whole encoder trained with a new linear
// head on labelled images, text or audio (a lower learning rate for the
// pretrained backbone), or the same encoder from random weights as the
// supervised baseline; evaluated on a test file and written as a model file
// ("supervised", "text-supervised") that ssl-embed and ssl-finetune read
// like any other. One path for every modality: what differs is the
// modality's (train/modality.hpp), which also refuses the options that do
// not apply to it.
#pragma once
#include "eval/probe.hpp"
#include "train/finetune_options.hpp"

namespace sslkit::train {

eval::Metrics run_full_finetune(const FullFinetuneOptions& opts);

}  // namespace sslkit::train
