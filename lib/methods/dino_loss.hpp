// DINO's objective (Caron et al. 2021, facebookresearch/dino main_dino.py
// DINOLoss): the teacher's outputs, centred and sharpened, are the soft
// targets of the student's across views. The pieces are functions of plain
// tensors so each is tested alone (dino_test.cpp); methods/dino.cpp puts
// them together.
#pragma once
#include <cstdint>
#include <vector>

#include "nn/var.hpp"

namespace sslkit::methods {

// The teacher's targets: softmax((logits - center) / temperature) per row
// of logits [N,K] (f32), center [K]. No gradient: the teacher is a target.
nn::Tensor dino_teacher_probs(const nn::Tensor& logits, const nn::Tensor& center, float temperature);

// The cross-entropy of every student view against every teacher view but
// itself, averaged over those pairs and the rows: student logits [V*B,K]
// (view v at rows v*B..), teacher probabilities [T*B,K] (T <= V teacher
// views, teacher view t the same crops as student view t, so that pair is
// left out), at the student's temperature. T*V - T pairs when the teacher
// views are among the student's (DINO: 2 global crops, all crops to the
// student); T*V when `same_views` is false.
nn::Var dino_cross_entropy(const nn::Var& student_logits, const nn::Tensor& teacher_probs, int64_t views,
                           float student_temperature, bool same_views = true);

// The mean over rows of teacher logits [N,K] over every rank's rows (an
// all-reduce of the sums and counts; one process: this batch's mean).
nn::Tensor dino_batch_center(const nn::Tensor& teacher_logits);

// center = momentum * center + (1 - momentum) * batch_center (DINO: 0.9).
void dino_update_center(nn::Tensor& center, const nn::Tensor& batch_center, double momentum);

// The teacher's temperature at `fraction` of training: linear from `start`
// to `end` over the first `warmup` fraction, then `end` (DINO: 0.04 to 0.07
// over 30 of 100 epochs).
double dino_teacher_temperature(double fraction, double start, double end, double warmup);

// Mean entropy in nats of rows of probabilities [N,K]: log K when the
// teacher is uniform (collapse to flat), 0 when one-hot (collapse to one
// prototype); logged to watch both.
double mean_entropy(const nn::Tensor& probs);

}  // namespace sslkit::methods
