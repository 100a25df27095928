// Text after the import: token batches (masked for MLM, or as they are with
// labels for fine-tuning), sentence features pooled over the real tokens
// (mean) or the first ([CLS]), the model's tokenizer and positions checked
// against the file, and full fine-tuning of the text encoder.
#include "core/error.hpp"
#include "data/text_source.hpp"
#include "data/tokenizer.hpp"
#include "models/encoders.hpp"
#include "train/finetune_options.hpp"
#include "train/held_out_text.hpp"
#include "train/modality.hpp"
#include "batches/sequence_batches.hpp"
#include "batches/text_lengths.hpp"
#include "eval/bag_of_words.hpp"

namespace sslkit::train {

namespace {

using json = nlohmann::ordered_json;
using namespace modality_detail;

int64_t width_of(const io::DataReader& in) { return static_cast<int64_t>(in.info("/tokens").shape[1]); }

std::vector<std::string> decoded_text(const io::DataReader& r, int count) {
  auto tok = data::Tokenizer::read_from(r);
  size_t n = std::min<size_t>(count, r.size());
  auto info = r.info("/tokens");
  std::vector<int32_t> ids(info.shape[1]);
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    r.read<int32_t>("/tokens", i, 1, ids.data());
    int32_t len = 0;
    r.read<int32_t>("/lengths", i, 1, &len);
    ids.resize(std::min<size_t>(len, info.shape[1]));
    out.push_back(tok.decode(ids));
    ids.resize(info.shape[1]);
  }
  return out;
}

class TextModality : public Modality {
 public:
  io::Modality kind() const override { return io::Modality::text; }
  const char* unit() const override { return "sequences"; }

  std::vector<std::string> preview(const io::DataReader& in, const std::string&, int count) const override {
    return decoded_text(in, count);
  }

  void read_facts(const io::DataReader& in, PretrainFile& f) const override {
    f.shape = in.info("/tokens").shape;
    f.vocab_size = data::Tokenizer::read_from(in).vocab_size();
    // The --max-len of the import, so held-out files imported apart fit.
    f.max_len = data::text_max_len(in);
    f.throughput_key = "sequences_per_s";
  }
  const methods::RunDefaults& pretrain_defaults() const override {
    // Skip-gram over subword tokens: the best text features of the
    // 20-minute measurements (docs/methods.md, "Text"); bert-mini, BERT's
    // weight decay and 64 sequences a step for the transformer methods
    // (256 took 7 s a step on 2 cores).
    static const methods::RunDefaults d{.method = "skipgram", .arch = "bert-mini", .batch = 64, .weight_decay = 0.01};
    return d;
  }
  void prepare_pretrain(const io::DataReader& in, json& config) const override {
    batches::check_text_lengths(in, methods::read_params(config), width_of(in), config.at("batch").get<int64_t>());
  }
  void model_extras(const io::DataReader& in, CheckpointExtras& x) const override {
    x.tokenizer = data::Tokenizer::read_from(in).bytes();
  }
  std::unique_ptr<HeldOut> held_out(const io::DataReader& in, const std::string& eval_file, double split,
                                    uint64_t seed, int batch) const override {
    auto held = std::make_unique<HeldOutText>(in, eval_file, split, seed, batch);
    if (!held->active()) return nullptr;
    return held;
  }

  std::unique_ptr<BatchSource> batches(const io::DataReader& in, const BatchPlan& plan) const override {
    batches::SequenceBatchSpec spec = sequence_spec(plan);
    // Fine-tuning, and methods whose views are not masks (simcse), read the
    // tokens as they are.
    spec.mask_tokens = plan.targets.empty() && !(plan.method && plan.method->plain_tokens);
    return std::make_unique<batches::TokenBatches>(in, std::move(spec));
  }

  methods::Batch rows(const io::DataReader& in, const std::vector<size_t>& rows, const ModelInput& input) const override {
    methods::Batch b;
    methods::TokenBatch& t = b.tokens;
    t.rows = static_cast<int64_t>(rows.size());
    t.length = width_of(in);
    t.dtype = input.dtype;
    t.ids.resize(static_cast<size_t>(t.rows * t.length));
    t.lengths.resize(static_cast<size_t>(t.rows));
    read_rows<int32_t>(in, "/tokens", rows, t.ids.data());
    read_rows<int32_t>(in, "/lengths", rows, t.lengths.data());
    return b;
  }
  int max_inference_batch() const override { return 64; }

  void check_input(const TrainedModel& t, const std::string& model_path, const io::DataReader& in) const override {
    // Token ids of another vocabulary embed without error and score as
    // noise: the tokenizer must be the model's own, byte for byte.
    if (!t.tokenizer.empty() && (!in.has("/tokenizer") || in.read_all<uint8_t>("/tokenizer") != t.tokenizer))
      throw UsageError(in.name() + " was not tokenized with the tokenizer of " + model_path +
                       " (import it with ssl-import text --tokenizer, the model's tokenizer)");
    const int64_t length = width_of(in);
    if (t.max_len > 0 && length > t.max_len)
      throw UsageError(in.name() + " holds sequences of " + std::to_string(length) + " tokens; " + model_path +
                       " encodes at most " + std::to_string(t.max_len) + " (import it with --max-len " +
                       std::to_string(t.max_len) + ")");
  }

  static bool has_pooler(methods::Method& m) {
    for (auto& [name, p] : m.named_parameters())
      if (name == "text_encoder.pooler.weight") return true;
    return false;
  }

  void prepare_features(methods::Method& m, FeatureSpec& s, const std::string& model_path) const override {
    if (s.layer != "backbone")
      throw UsageError("--layer " + s.layer + " goes with image models; " + model_path + " is a text model (it has --pool)");
    if (s.frames) throw UsageError("--frames gives one embedding per audio frame; " + model_path + " is not an audio model");
    if (s.pool.empty()) s.pool = m.sentence_pool();  // the one it trained (simcse), else the mean
    if (s.pool == "pooler" && !has_pooler(m))
      throw UsageError("--pool pooler: " + model_path + " has no pooler (BERT's dense + tanh on [CLS]; an imported "
                       "BertModel or BertForPreTraining has one); use mean or cls");
  }

  nn::Var features(methods::Method& m, const methods::Batch& b, const FeatureSpec& s,
                   std::vector<int32_t>*) const override {
    if (s.pool == "pooler") return m.pooled_sentence(b.tokens);
    return m.sentence(b.tokens, s.pool == "cls");
  }

  std::string feature_name(methods::Method&, const FeatureSpec& s) const override { return "pool-" + s.pool; }

  const char* baseline_flag() const override { return "--bag-of-words"; }
  eval::Features baseline_features(const io::DataReader& in) const override {
    return eval::token_counts(in);  // the caller weights both files' counts by the training rows' idf
  }

  FinetunePlan plan_finetune(const FullFinetuneOptions& o, const io::DataReader& tr,
                             const io::DataReader& te) const override {
    const eval::FinetuneOptions& r = o.report;
    refuse_option(o, "--recipe", "augments training images; " + tr.name() +
                                     " is a text file (fine-tuning reads its sequences as they are)");
    refuse_option(o, "--layer-decay", "is MAE's layer-wise decay of a ViT; " + tr.name() +
                                          " is a text file (its encoder learns at --lr times --backbone-lr-scale)");
    FinetunePlan p;
    p.method = "text-supervised";
    methods::MethodParams& mp = p.params;
    const data::Tokenizer tokenizer = data::Tokenizer::read_from(tr);  // te's is the same (check_same_kind)
    std::string model_pool = "mean";
    if (!r.model.empty()) {
      TrainedModel t = load_trained_model(r.model);
      check_model_input(t, r.model, tr);
      model_pool = t.method->sentence_pool();
      mp = methods::read_params(json::parse(t.config));
      if (mp.vocab_size != tokenizer.vocab_size())
        throw UsageError(r.model + " was trained on a vocabulary of " + std::to_string(mp.vocab_size) + " tokens; " +
                         tr.name() + " has another tokenizer");
    } else {
      mp.arch = scratch_arch(o, "text", "bert-mini", tr);
      mp.vocab_size = tokenizer.vocab_size();
      mp.max_len = data::text_max_len(tr);
    }
    for (const io::DataReader* f : {&tr, &te})
      if (width_of(*f) > mp.max_len)
        throw UsageError(f->name() + " holds sequences of " + std::to_string(width_of(*f)) +
                         " tokens; the model takes at most " + std::to_string(mp.max_len));
    batches::check_text_lengths(tr, mp, width_of(tr), o.given.count("--batch") ? o.batch : 64);
    p.extras.tokenizer = tokenizer.bytes();
    // Mean pooling unless told: what ssl-embed gives by default and what
    // the linear probe scores; --pool cls trains on the first token,
    // --pool pooler on BERT's pooler (BertForSequenceClassification's way).
    // A model that trained its own sentence vector (simcse) keeps it.
    p.features.pool = o.pool.empty() ? model_pool : o.pool;
    if (p.features.pool == "pooler" && !methods::encoder_shape(mp).pooler)
      throw UsageError("--pool pooler: " + (r.model.empty() ? std::string("a text encoder from scratch") : r.model) +
                       " has no pooler (BERT's dense + tanh on [CLS]; an imported BertModel or BertForPreTraining "
                       "has one); use mean or cls");
    p.lr = o.lr;
    p.weight_decay = o.weight_decay;
    p.report["backbone_lr_scale"] = o.backbone_lr_scale;
    p.report["pool"] = p.features.pool;
    p.batches.batch = 64;  // sequences a step unless --batch, as ssl-pretrain for text
    return p;
  }

  void load_encoder(methods::Method& m, const std::string& model_path) const override {
    load_checkpoint_prefix(model_path, "text_encoder.", m);
  }

  std::vector<nn::ParamGroup> finetune_groups(methods::Method& m, const FinetunePlan& p,
                                              double backbone_lr_scale) const override {
    // The pretrained encoder moves slower than the new head, as for images;
    // norms and biases (every flat parameter) without decay.
    const double wd = p.weight_decay;
    nn::ParamGroup enc{{}, backbone_lr_scale, wd, false}, enc_norm{{}, backbone_lr_scale, 0.0, true},
        head{{}, 1.0, wd, false}, head_bias{{}, 1.0, 0.0, true};
    for (auto& [name, v] : m.named_parameters()) {
      const bool flat = v->value().rank() == 1;
      (name.rfind("head.", 0) == 0 ? (flat ? head_bias : head) : (flat ? enc_norm : enc)).params.push_back(v);
    }
    return {enc, enc_norm, head, head_bias};
  }
};

}  // namespace

const Modality& text_modality() {
  static const TextModality m;
  return m;
}

}  // namespace sslkit::train
