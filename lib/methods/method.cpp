// The method registry and what every method shares.
#include <algorithm>
#include <set>

#include "core/error.hpp"
#include "methods/factories.hpp"
#include "methods/registry.hpp"

namespace sslkit::methods {

// The factories, one per method file, declared beside the registry rows
// that name them: a new method is its own file and its row here.
std::unique_ptr<Method> make_simclr(const MethodParams& p, Rng& rng);
std::unique_ptr<Method> make_moco(const MethodParams& p, Rng& rng);
std::unique_ptr<Method> make_byol(const MethodParams& p, Rng& rng, bool simsiam);
std::unique_ptr<Method> make_redundancy(const MethodParams& p, Rng& rng, bool vicreg);
std::unique_ptr<Method> make_classifier(const MethodParams& p, Rng& rng, bool rotation);
std::unique_ptr<Method> make_mlm(const MethodParams& p, Rng& rng);
std::unique_ptr<Method> make_electra(const MethodParams& p, Rng& rng);
std::unique_ptr<Method> make_mae(const MethodParams& p, Rng& rng);
std::unique_ptr<Method> make_text_classifier(const MethodParams& p, Rng& rng);
std::unique_ptr<Method> make_wav2vec(const MethodParams& p, Rng& rng);
std::unique_ptr<Method> make_emp(const MethodParams& p, Rng& rng);
std::unique_ptr<Method> make_skipgram(const MethodParams& p, Rng& rng);
std::unique_ptr<Method> make_dino(const MethodParams& p, Rng& rng);
std::unique_ptr<Method> make_simcse(const MethodParams& p, Rng& rng);

namespace {
std::unique_ptr<Method> byol(const MethodParams& p, Rng& r) { return make_byol(p, r, false); }
std::unique_ptr<Method> simsiam(const MethodParams& p, Rng& r) { return make_byol(p, r, true); }
std::unique_ptr<Method> barlow(const MethodParams& p, Rng& r) { return make_redundancy(p, r, false); }
std::unique_ptr<Method> vicreg(const MethodParams& p, Rng& r) { return make_redundancy(p, r, true); }
std::unique_ptr<Method> rotation(const MethodParams& p, Rng& r) { return make_classifier(p, r, true); }
std::unique_ptr<Method> supervised(const MethodParams& p, Rng& r) { return make_classifier(p, r, false); }
}  // namespace

namespace {
// Options two methods share are written once.
OptionSpec temperature_option() {
  return {.flag = "--temperature", .key = "temperature", .type = OptionSpec::Type::real, .fallback = 0.2,
          .help = "Temperature of NT-Xent / InfoNCE", .min = 0, .open_min = true, .defines_training = true};
}
}  // namespace

const std::vector<MethodInfo>& method_registry() {
  using D = RunDefaults;
  static const std::vector<MethodInfo> table = {
      {.name = "simclr", .modality = "image audio", .summary = "SimCLR: NT-Xent between two views of each image (or clip)",
       .views = 2, .rotation = false, .pretrain = true, .make = make_simclr, .defaults = D{.recipe = "simclr"},
       .options = {temperature_option()}},
      {.name = "moco", .modality = "image", .summary = "MoCo v2: InfoNCE against a queue from an EMA key encoder",
       .views = 2, .rotation = false, .pretrain = true, .make = make_moco, .defaults = D{.recipe = "mocov2"},
       .options = {temperature_option(),
                   {.flag = "--queue", .key = "queue", .type = OptionSpec::Type::integer, .fallback = 4096,
                    .help = "Negatives kept from earlier batches (MoCo v2: 65536 on ImageNet)", .min = 1,
                    .max = 1 << 20}}},
      {.name = "byol", .modality = "image", .summary = "BYOL: predict an EMA target's projection of the other view",
       .views = 2, .rotation = false, .pretrain = true, .make = byol, .defaults = D{.recipe = "byol"}},
      {.name = "simsiam", .modality = "image", .summary = "SimSiam: BYOL without the EMA target (stop-gradient)",
       .views = 2, .rotation = false, .pretrain = true, .make = simsiam, .defaults = D{.recipe = "simclr"}},
      {.name = "barlow", .modality = "image", .summary = "Barlow Twins: cross-correlation of two views towards identity",
       .views = 2, .rotation = false, .pretrain = true, .make = barlow, .defaults = D{.recipe = "simclr"}},
      {.name = "vicreg", .modality = "image", .summary = "VICReg: invariance, variance and covariance terms",
       .views = 2, .rotation = false, .pretrain = true, .make = vicreg, .defaults = D{.recipe = "simclr"}},
      {.name = "emp", .modality = "image",
       .summary = "EMP-SSL: many crops of each image (--views, 16), total coding rate plus each crop's cosine to its "
                  "image's crop mean",
       .views = 16, .rotation = false, .pretrain = true, .make = make_emp,
       // convnet-m: at 150 s it probed 0.889 linear against convnet-s's 0.884
       // after 300 s (docs/methods.md). EMP-SSL's 100 images a step. The
       // projector 4 and 1 times the encoder's features wide: 1024, 256 on
       // convnet-m's 256, the widths its measured results ran (EMP-SSL's own
       // is 8 and 2 times: 4096, 1024 on ResNet-18's 512; not screened here).
       .defaults = D{.arch = "convnet-m", .batch = 100,
                     .recipe = "crop(0.25,0.25,1,1) flip(0.5) jitter(0.4,0.4,0.4,0.2,p=0.8) gray(0.2) solarize(128,p=0.1)"},
       .hidden_per_feature = 4, .proj_per_feature = 1, .crops = true},
      {.name = "dino", .modality = "image",
       .summary = "DINO: a student matches its EMA teacher's centred, sharpened prototype scores across global and "
                  "local crops (--global-views, --views)",
       .views = 8, .rotation = false, .pretrain = true, .make = make_dino,
       // DINO's multi-crop on 28-pixel images: 2 full-size global views
       // (crop 0.4-1 of the area) for teacher and student, 8 local crops
       // (0.05-0.4) at --view-size (half the side) for the student only;
       // DINO's blur dropped on 28 px as emp's. The head 4 and 1 times the
       // encoder's features (1024 hidden, 256 bottleneck on convnet-m's 256;
       // DINO's 2048 and 256 on ViT-S's 384). docs/methods.md.
       .defaults = D{.arch = "convnet-m", .batch = 100,
                     .recipe = "crop(0.05,0.4) flip(0.5) jitter(0.4,0.4,0.2,0.1,p=0.8) gray(0.2)",
                     .views = 8, .global_views = 2,
                     .global_recipe = "crop(0.4,1) flip(0.5) jitter(0.4,0.4,0.2,0.1,p=0.8) gray(0.2) solarize(128,p=0.1)"},
       .hidden_per_feature = 4, .proj_per_feature = 1, .crops = true,
       .options = {{.flag = "--prototypes", .key = "prototypes", .type = OptionSpec::Type::integer, .fallback = 4096,
                    .help = "Prototypes of DINO's last layer, the K of its softmax (DINO: 65536 on ImageNet)",
                    .min = 2, .max = 1 << 20, .defines_training = true},
                   {.flag = "--teacher-temp", .key = "teacher_temp", .type = OptionSpec::Type::real, .fallback = 0.07,
                    .help = "Temperature of DINO's teacher after its warmup from 0.04 (the student's is 0.1)",
                    .min = 0, .open_min = true, .defines_training = true},
                   {.flag = "--teacher-temp-warmup", .key = "teacher_temp_warmup", .type = OptionSpec::Type::real,
                    .fallback = 0.3,
                    .help = "Fraction of training over which the teacher's temperature rises linearly from 0.04 to "
                            "--teacher-temp (DINO: 30 of 100 epochs)",
                    .min = 0, .max = 1, .defines_training = true},
                   {.flag = "--teacher-momentum", .key = "teacher_momentum", .type = OptionSpec::Type::real,
                    .fallback = 0.996,
                    .help = "EMA momentum of DINO's teacher at the start, rising to 1 on a cosine",
                    .min = 0, .max = 1, .defines_training = true}}},
      {.name = "rotation", .modality = "image", .summary = "RotNet: predict which of four rotations an image got",
       .views = 1, .rotation = true, .pretrain = true, .make = rotation, .defaults = D{.recipe = "rotation"}},
      {.name = "mae", .modality = "image",
       .summary = "MAE: a ViT encodes a quarter of the patches, a light decoder predicts the pixels of the rest "
                  "(vit-mini, vit-tiny)",
       .views = 1, .rotation = false, .pretrain = true, .make = make_mae,
       // MAE's recipe: lr 1.5e-4 x batch / 256, weight decay 0.05, AdamW
       // betas (0.9, 0.95), its crop and flip.
       .defaults = D{.arch = "vit-mini", .lr_per_256 = 1.5e-4, .weight_decay = 0.05, .adam_beta2 = 0.95,
                     .recipe = "crop(0.2,1) flip(0.5)"},
       .mask_ratio = 0.75,
       .options = {{.flag = "--norm-pix-loss", .key = "norm_pix", .type = OptionSpec::Type::flag, .fallback = true,
                    .help = "Predict each hidden patch normalised by its own mean and std (MAE's norm_pix_loss; "
                            "--no-norm-pix-loss: the raw pixels)",
                    .defines_training = true, .negatable = true},
                   // The decoder's shape (methods/mae_decoder.hpp): data, so an
                   // imported ViTMAE's decoder (512 wide, 8 blocks) loads.
                   {.flag = "--decoder-width", .key = "decoder_width", .type = OptionSpec::Type::integer,
                    .fallback = 128, .help = "Width of MAE's decoder (a multiple of 4 and of --decoder-heads)",
                    .min = 4, .defines_training = true},
                   {.flag = "--decoder-depth", .key = "decoder_depth", .type = OptionSpec::Type::integer,
                    .fallback = 2, .help = "Transformer blocks of MAE's decoder", .min = 1, .defines_training = true},
                   {.flag = "--decoder-heads", .key = "decoder_heads", .type = OptionSpec::Type::integer,
                    .fallback = 4, .help = "Attention heads of MAE's decoder", .min = 1, .defines_training = true},
                   {.flag = "--decoder-mlp", .key = "decoder_mlp", .type = OptionSpec::Type::integer,
                    .fallback = 512, .help = "Hidden width of the MLP of each of MAE's decoder blocks", .min = 1,
                    .defines_training = true}}},
      {.name = "mlm", .modality = "text",
       .summary = "BERT masked language modelling on text files: predict the masked tokens (bert-tiny, bert-mini)",
       .views = 0, .rotation = false, .pretrain = true, .make = make_mlm},
      {.name = "electra", .modality = "text",
       .summary = "ELECTRA replaced-token detection on text files: a small MLM generator fills the masked tokens, the "
                  "encoder tells every token original or replaced (bert-tiny, bert-mini)",
       .views = 0, .rotation = false, .pretrain = true, .make = make_electra,
       // google-research/electra's ELECTRA-Small: a generator a quarter as
       // wide, the discriminator's loss weighted 50.
       .options = {{.flag = "--generator-fraction", .key = "generator_fraction", .type = OptionSpec::Type::real,
                    .fallback = 0.25,
                    .help = "Width of ELECTRA's generator as a fraction of the encoder's (same depth; ELECTRA-Small: "
                            "0.25)",
                    .min = 0, .max = 1, .open_min = true, .defines_training = true},
                   {.flag = "--disc-weight", .key = "disc_weight", .type = OptionSpec::Type::real, .fallback = 50.0,
                    .help = "Weight of ELECTRA's replaced-token loss beside the generator's MLM loss (reference: 50)",
                    .min = 0, .open_min = true, .defines_training = true}}},
      {.name = "skipgram", .modality = "text",
       .summary = "fastText-style skip-gram: each token's vector predicts its neighbours against sampled negatives; "
                  "features are the mean of the token vectors (bert-mini:depth=0,position=none)",
       .views = 0, .rotation = false, .pretrain = true, .make = make_skipgram,
       // A bag of 256-wide token vectors; no weight decay (AdamW would pull
       // every row of the table each step, used or not); text's batch of
       // 64. lr: docs/methods.md, skip-gram.
       .defaults = D{.arch = "bert-mini:depth=0,position=none", .lr = 2e-2, .weight_decay = 0.0},
       // The tokens as they are: it predicts neighbours, not masked tokens
       // (so --eval/--eval-split's masked scores are refused up front).
       .plain_tokens = true,
       .options = {{.flag = "--window", .key = "window", .type = OptionSpec::Type::integer, .fallback = 5,
                    .help = "Skip-gram: the most tokens on either side a token predicts; each token draws its "
                            "window uniformly from 1 to this (fastText's -ws)",
                    .min = 1, .max = 64, .defines_training = true},
                   {.flag = "--negatives", .key = "negatives", .type = OptionSpec::Type::integer, .fallback = 5,
                    .help = "Skip-gram: negatives drawn per pair from the token counts to the 3/4 (fastText's -neg)",
                    .min = 1, .max = 100, .defines_training = true},
                   {.flag = "--subsample", .key = "subsample", .type = OptionSpec::Type::real, .fallback = 1e-4,
                    .help = "Skip-gram: frequent tokens are kept with probability sqrt(t/f) + t/f, f their "
                            "frequency (fastText's -t; 0 keeps every token)",
                    .min = 0, .max = 1, .defines_training = true}}},
      {.name = "simcse", .modality = "text",
       .summary = "SimCSE (unsupervised): each sentence twice through the encoder with dropout, the two masks its two "
                  "views; InfoNCE against the batch's other sentences",
       .views = 0, .rotation = false, .pretrain = true, .make = make_simcse,
       // SimCSE's temperature 0.05 (its run_unsup_example.sh).
       .defaults = D{.temperature = 0.05},
       .plain_tokens = true,
       .options = {temperature_option(),
                   {.flag = "--dropout", .key = "dropout", .type = OptionSpec::Type::real, .fallback = 0.1,
                    .help = "Dropout of the text encoder in training, whose two masks make a sentence's two views "
                            "(SimCSE and BERT: 0.1); stored as the encoder's dropout",
                    .min = 0, .max = 0.9, .open_min = true, .defines_training = true},
                   {.flag = "--pool", .key = "pool", .type = OptionSpec::Type::text, .fallback = "cls",
                    .help = "The sentence vector trained: cls ([CLS] through an MLP in training, without it after: "
                            "SimCSE's unsupervised recipe) or mean (over the real tokens); ssl-embed and ssl-finetune "
                            "pool the same way unless told",
                    .choices = {"cls", "mean"}, .defines_training = true}}},
      {.name = "wav2vec", .modality = "audio",
       .summary = "wav2vec 2.0 on raw audio: pick each masked frame's quantized latent among distractors (w2v-mini, "
                  "w2v-tiny)",
       .views = 0, .rotation = false, .pretrain = true, .make = make_wav2vec,
       // fairseq's Adam (betas 0.9, 0.98), lr 5e-4 and weight decay 0.01.
       .defaults = D{.lr = 5e-4, .weight_decay = 0.01, .adam_beta2 = 0.98},
       // The quantizer's sizes under Hugging Face's config names (an imported
       // Wav2Vec2ForPreTraining has its own); a file without them has these
       // defaults, the sizes every wav2vec model had before they were data.
       .options = {{.flag = "--codevector-groups", .key = "num_codevector_groups", .type = OptionSpec::Type::integer,
                    .fallback = 2, .help = "Codebooks of the quantizer, one code picked from each (fairseq: 2)",
                    .min = 1, .max = 64},
                   {.flag = "--codevectors-per-group", .key = "num_codevectors_per_group",
                    .type = OptionSpec::Type::integer, .fallback = 64,
                    .help = "Entries of each codebook (fairseq: 320)", .min = 2, .max = 1 << 16},
                   {.flag = "--codevector-dim", .key = "codevector_dim", .type = OptionSpec::Type::integer,
                    .fallback = 0,
                    .help = "Width of a quantized frame, the groups' codevectors side by side (0: half the encoder's "
                            "width; fairseq: 256)",
                    .min = 0, .max = 1 << 16},
                   {.flag = "--proj-codevector-dim", .key = "proj_codevector_dim", .type = OptionSpec::Type::integer,
                    .fallback = 0,
                    .help = "Width in which context and quantized frames are compared (0: half the encoder's width; "
                            "fairseq: 256)",
                    .min = 0, .max = 1 << 16}}},
      {.name = "supervised", .modality = "image audio",
       .summary = "an encoder and a linear classifier on labels (what full fine-tuning trains)", .views = 1,
       .rotation = false, .pretrain = false, .make = supervised},
      {.name = "text-supervised", .modality = "text",
       .summary = "a text encoder and a linear classifier on labels (full fine-tuning of text)", .views = 0,
       .rotation = false, .pretrain = false, .make = make_text_classifier},
  };
  return table;
}

nlohmann::ordered_json to_json(const RunDefaults& d) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  auto put = [&](const char* key, const auto& v) {
    if (v) j[key] = *v;
  };
  put("method", d.method);
  put("arch", d.arch);
  put("batch", d.batch);
  put("lr", d.lr);
  put("lr_per_256", d.lr_per_256);
  put("weight_decay", d.weight_decay);
  put("adam_beta2", d.adam_beta2);
  put("warmup", d.warmup);
  put("recipe", d.recipe);
  put("views", d.views);
  put("global_views", d.global_views);
  put("global_recipe", d.global_recipe);
  put("temperature", d.temperature);
  return j;
}

std::vector<std::string> pretrain_method_names() {
  std::vector<std::string> out;
  for (const auto& m : method_registry())
    if (m.pretrain) out.push_back(m.name);
  return out;
}

std::string pretrain_method_list() {
  std::string s;
  for (const auto& n : pretrain_method_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

void size_projector(const MethodInfo& m, MethodParams& p) {
  if (m.hidden_per_feature <= 0 && m.proj_per_feature <= 0) return;
  // The encoder is built to ask its width: the one place that knows it for
  // every arch and ViT option alike (a throwaway, once per run).
  Rng scratch(0);
  const int64_t d = make_image_encoder(p, scratch)->out_dim();
  if (m.hidden_per_feature > 0) p.hidden_dim = m.hidden_per_feature * d;
  if (m.proj_per_feature > 0) p.proj_dim = m.proj_per_feature * d;
}

bool trains_on(const MethodInfo& m, const std::string& modality) {
  const std::string list = std::string(" ") + m.modality + " ";
  return list.find(" " + modality + " ") != std::string::npos;
}

std::string modality_list(const MethodInfo& m) {
  std::string s = m.modality;
  for (size_t at = s.find(' '); at != std::string::npos; at = s.find(' ', at + 4)) s.replace(at, 1, " or ");
  return s;
}

const MethodInfo& method_info(const std::string& name) {
  for (const auto& m : method_registry())
    if (name == m.name) return m;
  throw UsageError("--method must be one of " + pretrain_method_list() + ", not '" + name + "'");
}

std::unique_ptr<Method> make_method(const std::string& name, const MethodParams& p, Rng& rng) {
  return method_info(name).make(p, rng);
}

namespace {
// Keys MethodParams holds as fields (write_params writes them all).
bool known_param(const std::string& key) {
  static const std::set<std::string> keys = {"arch",  "in_channels", "temperature", "queue",    "momentum",
                                             "proj_dim", "hidden_dim", "num_classes", "vocab_size", "max_len",
                                             "norm_pix", "patch",     "pool",       "encoder"};
  return keys.count(key) > 0;
}
}  // namespace

models::EncoderShape encoder_shape(const MethodParams& p) {
  models::EncoderShape s = p.encoder ? *p.encoder : models::parse_arch(p.arch);
  if (s.kind == models::EncoderKind::vit) s.patch = p.patch;
  return s;
}

void write_params(const MethodParams& p, nlohmann::ordered_json& c) {
  c["arch"] = p.arch;
  c["encoder"] = models::to_json(encoder_shape(p));
  c["in_channels"] = p.in_channels;
  c["temperature"] = p.temperature;
  c["queue"] = p.queue;
  c["momentum"] = p.momentum;
  c["proj_dim"] = p.proj_dim;
  c["hidden_dim"] = p.hidden_dim;
  if (p.num_classes > 0) c["num_classes"] = p.num_classes;
  if (p.vocab_size > 0) c["vocab_size"] = p.vocab_size;
  if (p.max_len > 0) c["max_len"] = p.max_len;
  c["norm_pix"] = p.norm_pix;
  c["patch"] = p.patch;
  c["pool"] = p.pool;
  for (const auto& [k, v] : p.own.items()) c[k] = v;
}

MethodParams read_params(const nlohmann::ordered_json& c, const std::string& file) {
  MethodParams p;
  p.arch = c.value("arch", p.arch);
  p.in_channels = c.value("in_channels", p.in_channels);
  p.temperature = c.value("temperature", p.temperature);
  p.queue = c.value("queue", p.queue);
  p.momentum = c.value("momentum", p.momentum);
  p.proj_dim = c.value("proj_dim", p.proj_dim);
  p.hidden_dim = c.value("hidden_dim", p.hidden_dim);
  p.num_classes = c.value("num_classes", p.num_classes);
  p.vocab_size = c.value("vocab_size", p.vocab_size);
  p.max_len = c.value("max_len", p.max_len);
  p.norm_pix = c.value("norm_pix", p.norm_pix);
  p.patch = c.value("patch", p.patch);
  p.pool = c.value("pool", p.pool);
  // The options the method's row declares beyond the fields above.
  const std::string method = c.value("method", std::string());
  for (const auto& m : method_registry())
    if (method == m.name)
      for (const OptionSpec& o : m.options)
        if (c.contains(o.key) && !known_param(o.key)) p.own[o.key] = c[o.key];

  if (c.contains("encoder")) {
    p.encoder = models::from_json(c["encoder"], file);
    if (p.encoder->kind == models::EncoderKind::vit) {
      if (c.contains("patch") && p.patch != p.encoder->patch)
        throw Error(file, "/config patch " + std::to_string(p.patch) + " differs from encoder.patch " +
                              std::to_string(p.encoder->patch));
      p.patch = p.encoder->patch;
    }
  } else {
    // A file from before shapes were data (release 0.1.0): its preset.
    try {
      p.encoder = encoder_shape(p);
    } catch (const UsageError& e) {
      throw Error(file, std::string("/config arch: ") + e.what());
    }
  }
  return p;
}

std::vector<nn::Var*> trainable_parameters(Method& m) {
  std::set<const nn::Var*> frozen;
  for (nn::Module* t : m.ema_targets())
    for (auto& [n, p] : t->named_parameters()) frozen.insert(p);
  std::vector<nn::Var*> out;
  for (auto& [n, p] : m.named_parameters())
    if (!frozen.count(p)) out.push_back(p);
  return out;
}

}  // namespace sslkit::methods
