#include <doctest/doctest.h>

#include <cmath>

#include "data/audio_source.hpp"
#include "data/import.hpp"
#include "data/text_source.hpp"
#include "io/data_file.hpp"
#include "io/test_util.hpp"
#include "train/test_util.hpp"
#include "batches/sequence_batches.hpp"
#include "models/w2v.hpp"
#include "augment/audio_ops.hpp"

using namespace sslkit;

static const std::string kData = SSLKIT_DATA_DIR;

TEST_CASE("token batches: MLM masks drawn per epoch - the same for a step in any run - labels only where selected") {
  testing::ScratchDir dir;
  io::DataReader in(testing::import_sample_text(dir));
  batches::SequenceBatchSpec spec;
  spec.batch = 8;
  spec.seed = 3;
  spec.mlm.ratio = 0.3;
  spec.targets = in.labels();
  batches::TokenBatches a(in, spec);
  const int64_t per_epoch = a.steps_per_epoch();
  REQUIRE(per_epoch >= 2);
  std::vector<methods::Batch> run;
  for (int64_t s = 0; s < per_epoch + 1; ++s) run.push_back(a.next());
  const methods::TokenBatch& t = run[0].tokens;
  CHECK(t.rows == 8);
  CHECK(t.length == 24);
  CHECK(t.ids.size() == 8 * 24);
  CHECK(run[0].pretext.size() == 8);
  int selected = 0;
  for (int64_t r = 0; r < t.rows; ++r)
    for (int64_t k = 0; k < t.length; ++k) {
      const int32_t label = t.labels[r * t.length + k];
      if (k >= t.lengths[r]) CHECK(label == -100);  // padding is never selected
      if (label != -100) ++selected;
    }
  CHECK(selected > 0);
  // A resumed source starting at step 1 draws exactly what the first did.
  spec.first_step = 1;
  batches::TokenBatches b(in, spec);
  methods::Batch again = b.next();
  CHECK(again.tokens.ids == run[1].tokens.ids);
  CHECK(again.tokens.labels == run[1].tokens.labels);
  // Epoch 2 sees the rows of a new permutation with new masks.
  CHECK(run[per_epoch].tokens.ids != run[0].tokens.ids);
}

TEST_CASE("token batches: masks from an ssl-mask file are used as they are") {
  testing::ScratchDir dir;
  const std::string path = testing::import_sample_text(dir);
  {
    // A file whose /input_ids and /mlm_labels say: position 1 masked with id 4, label 7.
    io::DataReader in(path);
    io::DataWriter w(dir / "masked.h5", io::Modality::text);
    w.copy_from(in, {});
    const size_t N = in.size(), L = 24;
    w.create("/input_ids", io::DType::i32, {L});
    w.create("/mlm_labels", io::DType::i32, {L});
    std::vector<int32_t> ids(N * L, 5), labels(N * L, -100);
    for (size_t i = 0; i < N; ++i) {
      ids[i * L + 1] = 4;
      labels[i * L + 1] = 7;
    }
    w.append("/input_ids", ids);
    w.append("/mlm_labels", labels);
    w.commit();
  }
  io::DataReader in(dir / "masked.h5");
  batches::SequenceBatchSpec spec;
  spec.batch = 4;
  batches::TokenBatches src(in, spec);
  CHECK(src.masks_from_file());
  methods::Batch b = src.next();
  for (int64_t r = 0; r < b.tokens.rows; ++r) {
    CHECK(b.tokens.ids[r * 24 + 1] == 4);
    CHECK(b.tokens.labels[r * 24 + 1] == 7);
    CHECK(b.tokens.labels[r * 24 + 2] == -100);
  }
}

TEST_CASE("audio batches: samples - lengths and span masks on the frame grid - never on padding") {
  testing::ScratchDir dir;
  data::AudioImportOptions ao;
  ao.input = kData + "/audio";
  data::ImportOptions o;
  o.output = dir / "audio.h5";
  data::AudioSource src(ao);
  data::run_import(src, o);
  io::DataReader in(o.output);
  batches::SequenceBatchSpec spec;
  spec.batch = 3;
  spec.frame_samples = 160;
  spec.span.span = 4;
  spec.span.mask_prob = 0.2;
  batches::AudioBatches batches(in, spec);
  methods::Batch b = batches.next();
  const methods::AudioBatch& a = b.audio;
  CHECK(a.rows == 3);
  CHECK(a.frames == mask::span_frames(static_cast<int>(a.samples), 160));
  CHECK(a.audio.dim(0) == 3);
  CHECK(a.audio.dim(1) == a.samples);
  for (int64_t r = 0; r < a.rows; ++r) {
    const int64_t valid = mask::span_frames(a.lengths[r], 160);
    int masked = 0;
    for (int64_t f = 0; f < a.frames; ++f) {
      if (f >= valid) CHECK(a.mask[r * a.frames + f] == 0);
      masked += a.mask[r * a.frames + f];
    }
    CHECK(masked >= 4);  // at least min_masks (2) spans, some may overlap
  }
}

TEST_CASE("audio batches: masks on the encoder's frame grid - real frames as its conv stack counts them - views") {
  testing::ScratchDir dir;
  data::AudioImportOptions ao;
  ao.input = kData + "/audio";
  ao.seconds = 0.5;
  data::ImportOptions o;
  o.output = dir / "audio.h5";
  data::AudioSource src(ao);
  data::run_import(src, o);
  io::DataReader in(o.output);
  const models::W2VShape shape = models::w2v_shape("w2v-mini");
  batches::SequenceBatchSpec spec;
  spec.batch = 6;
  spec.frames = models::w2v_frames(shape, 8000);
  spec.frames_of = [shape](int64_t n) { return models::w2v_frames(shape, n); };
  spec.span.span = 3;
  spec.audio_views = 2;
  spec.audio_recipe = augment::make_audio_recipe("audio");
  batches::AudioBatches batches(in, spec);
  methods::Batch b = batches.next();
  const methods::AudioBatch& a = b.audio;
  CHECK(a.frames == 24);
  REQUIRE(a.mask.size() == 6u * 24);
  for (int64_t r = 0; r < a.rows; ++r) {
    const int64_t valid = models::w2v_frames(shape, a.lengths[r]);
    for (int64_t f = valid; f < a.frames; ++f) CHECK(a.mask[r * a.frames + f] == 0);
  }
  REQUIRE(b.views.size() == 2u);
  CHECK(b.views[0].shape() == nn::Shape{6, 8000, 1});
  // Two views of a clip differ; their padding stays silent.
  double diff = 0;
  for (int64_t i = 0; i < 8000; ++i) diff += std::fabs(b.views[0].value().f32()[i] - b.views[1].value().f32()[i]);
  CHECK(diff > 0);
}

TEST_CASE("batch sources: fewer rows than one batch is a clear error naming the file") {
  testing::ScratchDir dir;
  io::DataReader in(testing::import_sample_text(dir));
  batches::SequenceBatchSpec spec;
  spec.batch = 100000;
  CHECK_THROWS_WITH_AS(batches::TokenBatches(in, spec), doctest::Contains("fewer samples than one batch"), Error);
}
