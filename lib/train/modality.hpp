// What differs per modality after the import, behind one interface (as
// data::ImportSource is before it): the batches a run trains on, the rows a
// model infers on, an encoder's pooled features, the model-vs-file check
// and full fine-tuning's encoder, optimizer groups and defaults. ssl-embed,
// ssl-finetune, the kNN monitor and the model loader call it through
// modality_for() and never switch on the modality; a new modality is one
// implementation file (modality_X.cpp) and its lines in modality.cpp.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/probe.hpp"
#include "io/data_file.hpp"
#include "methods/method.hpp"
#include "methods/registry.hpp"
#include "nn/optim.hpp"
#include "batches/batch_source.hpp"
#include "batches/sequence_batches.hpp"
#include "train/checkpoint.hpp"
#include "train/held_out.hpp"
#include "train/trained_model.hpp"

namespace sslkit::train {

struct FullFinetuneOptions;

// What a pretraining run needs to know of its input file, read once by the
// file's modality (Modality::read_facts); the resolver (apps/pretrain_config)
// and the run read only these, never the modality.
struct PretrainFile {
  std::string name;            // the file, for messages
  std::string modality;        // "image", "text", "audio"
  bool views = false;          // images: ssl-augment's /views rather than /images
  nlohmann::ordered_json shape = nlohmann::ordered_json::array();  // of /images, /views, /tokens or /audio
  int64_t samples = 0;
  // What the file puts in a run's /config (images: input_shape; audio: sample_rate).
  nlohmann::ordered_json config = nlohmann::ordered_json::object();
  // The encoder's input as the file fixes it (0: not this modality's).
  int64_t in_channels = 0;     // images
  int64_t vocab_size = 0;      // text: the tokenizer's vocabulary
  int64_t max_len = 0;         // text: the import's --max-len
  // --log-json's throughput: its key and how many of its units a row is
  // (audio: the clip's seconds).
  std::string throughput_key = "samples_per_s";
  double units_per_row = 1;
};



// A source of training batches (the trainer sees only these).
using batches::BatchSource;

// What a run's batches are: the fields every modality shares, and the run's
// /config for the rest (images: normalize, views, view_size, global_views,
// global_recipe, recipe, strength; audio: recipe), as ssl-pretrain records it.
struct BatchPlan {
  int batch = 64;
  uint64_t seed = 0;
  nn::DType dtype = nn::DType::f32;
  int64_t first_step = 0;         // the global step of the first batch (resume)
  std::vector<size_t> rows;       // rows to draw from (empty: every row)
  // Fine-tuning: the file's labels as targets, the data as it is (no masks,
  // one view). Empty: pretraining, the method's pretext (`method`) decides.
  std::vector<int32_t> targets;
  nlohmann::ordered_json config = nlohmann::ordered_json::object();
  methods::MethodParams params;   // the encoder (audio: its frame grid; images: the MAE patch)
  const methods::MethodInfo* method = nullptr;  // pretraining: views, rotation, mask ratio
};

// How rows of a file become what a model's encoder takes.
struct ModelInput {
  data::PixelNorm norm;           // images: the pixel normalisation the model was trained with
  nn::DType dtype = nn::DType::f32;
  ModelInput() = default;
  ModelInput(data::PixelNorm n, nn::DType dt) : norm(std::move(n)), dtype(dt) {}
  ModelInput(float mean, float stdev, nn::DType dt) : norm(mean, stdev), dtype(dt) {}
};

// Which features of an encoder: ssl-embed's options and their resolution.
struct FeatureSpec {
  std::string layer = "backbone";  // images: or "projector"
  std::string pool;                // text: mean (default) or cls; ViT: cls or mean (default: the model's)
  bool frames = false;             // audio: every frame [n, frames, width] instead of the mean
  nn::DType dtype = nn::DType::f32;
};

// What full fine-tuning of a file builds, decided before anything trains.
struct FinetunePlan {
  methods::MethodParams params;    // the encoder; num_classes set by the caller
  std::string method;              // the registry row trained ("supervised", "text-supervised")
  nlohmann::ordered_json config = nlohmann::ordered_json::object();  // kept in the model file beside the params
  CheckpointExtras extras;         // text: the tokenizer
  ModelInput input;
  FeatureSpec features;            // what the head reads (text: --pool)
  BatchPlan batches;               // rows, targets and seed are set by the caller
  double lr = 0, weight_decay = 0;
  double layer_decay = 0;          // > 0: MAE's layer-wise decay (ViT) instead of backbone_lr_scale
  nlohmann::ordered_json report = nlohmann::ordered_json::object();  // the modality's own choices, for the report
};

class Modality {
 public:
  virtual ~Modality() = default;
  virtual io::Modality kind() const = 0;
  // What a row is, plural, for progress lines: "images", "sequences", "clips".
  virtual const char* unit() const = 0;
  // ssl-info --preview: the first `count` samples as a PNG at `png_path`
  // (images: a grid, views across; audio: waveforms over spectrograms), or
  // as lines returned (text: decoded). Error naming `in` when it is empty.
  virtual std::vector<std::string> preview(const io::DataReader& in, const std::string& png_path, int count) const = 0;

  // ---- Data
  // The training batches of `in` under `plan` (the lead's ssl-pretrain calls
  // this too: its batch-source branches become one line).
  virtual std::unique_ptr<BatchSource> batches(const io::DataReader& in, const BatchPlan& plan) const = 0;
  // Rows `rows` (ascending, distinct) of `in` as one inference batch.
  virtual methods::Batch rows(const io::DataReader& in, const std::vector<size_t>& rows,
                              const ModelInput& input) const = 0;
  // Most rows an inference batch holds (attention and audio memory grow with it).
  virtual int max_inference_batch() const = 0;

  // ---- Models
  // The model-vs-file check (ssl-embed, ssl-finetune --model and full):
  // the same modality was checked by the caller; channels, tokenizer,
  // sequence length, sample rate and frame count here. Usage error naming
  // both files, or Error naming the data file.
  virtual void check_input(const TrainedModel& t, const std::string& model_path, const io::DataReader& in) const = 0;
  // Checks `s` against the model (UsageError naming the option and why) and
  // applies what it sets on the encoder (a ViT's pooling); fills defaults.
  virtual void prepare_features(methods::Method& m, FeatureSpec& s, const std::string& model_path) const = 0;
  // The pooled features [n, width] of a batch (audio --frames: [n, frames,
  // width]); `valid_frames` receives each clip's real frames with --frames.
  virtual nn::Var features(methods::Method& m, const methods::Batch& b, const FeatureSpec& s,
                           std::vector<int32_t>* valid_frames = nullptr) const = 0;
  // The name of those features as ssl-embed records them ("backbone",
  // "backbone-cls", "pool-mean"): files embedded apart must agree on it.
  virtual std::string feature_name(methods::Method& m, const FeatureSpec& s) const = 0;
  // The features a probe scores without a model, and the flag asking for
  // them ("--raw-pixels", "--log-mel"; empty: none).
  virtual const char* baseline_flag() const = 0;
  virtual eval::Features baseline_features(const io::DataReader& in) const = 0;

  // ---- Pretraining
  // The facts of `in` a run is resolved from (name, modality and samples
  // are filled by the caller).
  virtual void read_facts(const io::DataReader& in, PretrainFile& f) const = 0;
  // The defaults of a run on this modality's files, before the method's.
  virtual const methods::RunDefaults& pretrain_defaults() const = 0;
  // What a run adds to its /config from the file before a model is built
  // (images: the pixel normalisation, unless resumed) and checks of the
  // file against that model (text: sequence lengths); Error naming `in`.
  virtual void prepare_pretrain(const io::DataReader& in, nlohmann::ordered_json& config) const = 0;
  // What the model file keeps of the input beside the weights (text: the tokenizer).
  virtual void model_extras(const io::DataReader& in, CheckpointExtras& x) const = 0;
  // Rows scored as the run trains and never trained on (text: --eval or
  // --eval-split's held-out rows); null when there are none.
  virtual std::unique_ptr<HeldOut> held_out(const io::DataReader& in, const std::string& eval_file, double split,
                                            uint64_t seed, int batch) const;

  // ---- Full fine-tuning
  // The encoder (from --model, or --arch from scratch), its checks against
  // both files, the options that apply (UsageError naming any that do not,
  // and why) and the defaults of this modality.
  virtual FinetunePlan plan_finetune(const FullFinetuneOptions& o, const io::DataReader& train,
                                     const io::DataReader& test) const = 0;
  // The pretrained encoder's weights into a freshly made `m`.
  virtual void load_encoder(methods::Method& m, const std::string& model_path) const = 0;
  // The optimizer's groups: the encoder slower than the new head ("head.").
  virtual std::vector<nn::ParamGroup> finetune_groups(methods::Method& m, const FinetunePlan& p,
                                                      double backbone_lr_scale) const = 0;
};

// The implementation of a modality; Error for one no step after the import
// handles (embeddings files).
const Modality& modality_for(io::Modality m);
// Every modality a model can be trained on, in --help's order.
const std::vector<const Modality*>& all_modalities();
// By name ("image", "text", "audio"): a UsageError for any other.
const Modality& modality_for(const std::string& name);

// What a model file encodes, from its config: its "modality" when it says
// so, else what its encoder ("arch") encodes. An unknown one is an Error
// naming `path`: never a silent default.
io::Modality model_modality(const nlohmann::ordered_json& config, const std::string& path);

// Full fine-tuning's head loss: cross-entropy of the classifier's logits on
// the features the plan names (the method's own loss for its defaults).
nn::Var head_loss(const Modality& mod, methods::Method& m, const methods::Batch& b, const FeatureSpec& s);

// The encoder's features of every row of `in`, `batch` rows at a time
// (at most the modality's max_inference_batch), without a tape, optionally
// l2-normalised: fn(features [n, D] f32, first row, n); audio frames come
// flattened [n, frames * width] with `frames_per_clip` set.
void for_each_feature(const Modality& mod, methods::Method& m, const io::DataReader& in, const ModelInput& input,
                      const FeatureSpec& s, bool normalize, int batch,
                      const std::function<void(const nn::Tensor&, int64_t, int64_t)>& fn,
                      int64_t* frames_per_clip = nullptr, std::vector<int32_t>* valid_frames = nullptr);

// The classifier's class for every row of `in`.
std::vector<int32_t> predict_classes(const Modality& mod, methods::Method& m, const io::DataReader& in,
                                     const ModelInput& input, const FeatureSpec& s);

// Shared pieces of the implementations.
namespace modality_detail {
// Rows `rows` of dataset `name` into out: one read of the range when they
// are consecutive, else one read of the set.
template <class T>
void read_rows(const io::DataReader& in, const std::string& name, const std::vector<size_t>& rows, T* out) {
  if (!rows.empty() && rows.back() - rows.front() + 1 == rows.size())
    in.read<T>(name, rows.front(), rows.size(), out);
  else
    in.read_at<T>(name, rows, out);
}
// The fields of a sequence batch spec (text, audio) every plan sets.
batches::SequenceBatchSpec sequence_spec(const BatchPlan& plan);
// The encoder's groups at `backbone_lr_scale` of the lr, then the head's.
std::vector<nn::ParamGroup> backbone_and_head_groups(methods::Method& m, double weight_decay, double backbone_lr_scale);
// The head's groups ("head." parameters: weights decayed, biases not).
void add_head_groups(methods::Method& m, double weight_decay, std::vector<nn::ParamGroup>& groups);
// The run's batch count a step: --batch when given, else `default_batch`,
// at most the labelled rows.
int finetune_batch(const FullFinetuneOptions& o, int default_batch, size_t rows);
// A from-scratch encoder's --arch: checked against the file when given,
// else the modality's default.
std::string scratch_arch(const FullFinetuneOptions& o, const std::string& modality, const std::string& fallback,
                         const io::DataReader& train);
// UsageError for a fine-tuning option given that this modality does not
// use: "--recipe augments training images; t.h5 is a text file".
void refuse_option(const FullFinetuneOptions& o, const std::string& flag, const std::string& why);
}  // namespace modality_detail

}  // namespace sslkit::train
