// Images after the import: augmented views (ImageBatches), pixels
// normalised as the model was trained, any image encoder's backbone or
// projector features, raw pixels as the probe's baseline, and full
// fine-tuning with a lower backbone rate (a ViT: MAE's layer-wise decay).
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <tuple>

#include "augment/recipe.hpp"
#include "core/error.hpp"
#include "io/picture.hpp"
#include "models/encoders.hpp"
#include "models/vit.hpp"
#include "train/finetune_options.hpp"
#include "batches/image_batches.hpp"
#include "train/modality.hpp"

namespace sslkit::train {

namespace {

using json = nlohmann::ordered_json;
using namespace modality_detail;

// Tiles: one sample per row with its views across when the file has views,
// otherwise a square-ish grid. Small images are scaled up (nearest) so a
// 28x28 digit is visible.
void image_grid(const io::DataReader& r, const std::string& path, int count) {
  bool views = !r.has("/images");
  const std::string name = views ? "/views" : "/images";
  auto info = r.info(name);
  size_t n = std::min<size_t>(count, r.size());
  if (n == 0) throw Error(r.name(), "no samples to preview");
  int h = info.shape[views ? 2 : 1], w = info.shape[views ? 3 : 2], c = info.shape.back();
  int v = views ? info.shape[1] : 1;
  int scale = std::max(1, 64 / std::max(h, w));
  int th = h * scale, tw = w * scale, pad = 2;
  int cols = views ? v : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
  int rows = views ? static_cast<int>(n) : static_cast<int>((n + cols - 1) / cols);
  cv::Mat canvas(rows * (th + pad) + pad, cols * (tw + pad) + pad, CV_8UC3, cv::Scalar(40, 40, 40));
  size_t per = static_cast<size_t>(v) * h * w * c;
  std::vector<uint8_t> buf(per);
  for (size_t i = 0; i < n; ++i) {
    r.read<uint8_t>(name, i, 1, buf.data());
    for (int k = 0; k < v; ++k) {
      cv::Mat img(h, w, c == 1 ? CV_8UC1 : CV_8UC3, buf.data() + static_cast<size_t>(k) * h * w * c);
      cv::Mat bgr, big;
      if (c == 1) cv::cvtColor(img, bgr, cv::COLOR_GRAY2BGR);
      else cv::cvtColor(img, bgr, cv::COLOR_RGB2BGR);
      cv::resize(bgr, big, cv::Size(tw, th), 0, 0, cv::INTER_NEAREST);
      int row = views ? static_cast<int>(i) : static_cast<int>(i) / cols;
      int col = views ? k : static_cast<int>(i) % cols;
      big.copyTo(canvas(cv::Rect(pad + col * (tw + pad), pad + row * (th + pad), tw, th)));
    }
  }
  io::save_png(canvas, path);
}

class ImageModality : public Modality {
 public:
  io::Modality kind() const override { return io::Modality::image; }
  const char* unit() const override { return "images"; }

  std::vector<std::string> preview(const io::DataReader& in, const std::string& png_path, int count) const override {
    image_grid(in, png_path, count);
    return {};
  }

  void read_facts(const io::DataReader& in, PretrainFile& f) const override {
    f.views = !in.has("/images");
    f.shape = in.info(f.views ? "/views" : "/images").shape;
    f.config["input_shape"] = {f.shape[f.views ? 2 : 1], f.shape[f.views ? 3 : 2]};
    f.in_channels = f.shape.back();
    f.throughput_key = "images_per_s";
  }
  const methods::RunDefaults& pretrain_defaults() const override {
    // emp, the fastest learner measured (docs/methods.md).
    static const methods::RunDefaults d{.method = "emp"};
    return d;
  }
  void prepare_pretrain(const io::DataReader& in, json& config) const override {
    // A resumed run keeps the normalisation it was trained with.
    if (config.contains("normalize")) return;
    auto [mean, stdev] = pixel_stats(in);
    config["normalize"] = {{"mean", mean}, {"std", stdev}};
  }
  void model_extras(const io::DataReader&, CheckpointExtras&) const override {}

  std::unique_ptr<BatchSource> batches(const io::DataReader& in, const BatchPlan& plan) const override {
    const json& c = plan.config;
    const double strength = c.value("strength", 1.0);
    batches::ImageBatchSpec spec;
    spec.batch = plan.batch;
    spec.seed = plan.seed;
    spec.norm = data::pixel_norm_from_json(c.at("normalize"), in.name());
    spec.views = c.value("views", plan.method ? plan.method->views : 1);
    spec.view_size = c.value("view_size", 0);
    spec.global_views = c.value("global_views", 0);
    if (spec.global_views > 0) spec.global_recipe = augment::make_recipe(c.at("global_recipe"), strength);
    spec.rotation = plan.method && plan.method->rotation;
    // A file of ssl-augment's views is used as it is: no recipe.
    if (c.contains("recipe")) spec.recipe = augment::make_recipe(c.at("recipe"), strength);
    spec.rows = plan.rows;
    spec.targets = plan.targets;
    spec.first_step = plan.first_step;
    spec.dtype = plan.dtype;
    spec.patch_ratio = plan.method ? plan.method->mask_ratio : 0;
    spec.patch = static_cast<int>(plan.params.patch);
    return std::make_unique<batches::ImageBatches>(in, std::move(spec));
  }

  methods::Batch rows(const io::DataReader& in, const std::vector<size_t>& rows, const ModelInput& input) const override {
    const auto info = in.info("/images");
    const int64_t n = static_cast<int64_t>(rows.size()), H = info.shape[1], W = info.shape[2], C = info.shape[3];
    std::vector<uint8_t> px(static_cast<size_t>(n * H * W * C));
    read_rows<uint8_t>(in, "/images", rows, px.data());
    methods::Batch b;
    b.views.emplace_back(normalize_images(px.data(), n, H, W, C, input.norm).to(input.dtype));
    return b;
  }
  int max_inference_batch() const override { return 1 << 30; }

  void check_input(const TrainedModel& t, const std::string& model_path, const io::DataReader& in) const override {
    check_image_input(in, t.in_channels);
    check_imported_size(json::parse(t.config), model_path, in);
  }

  void prepare_features(methods::Method& m, FeatureSpec& s, const std::string& model_path) const override {
    if (s.frames) throw UsageError("--frames gives one embedding per audio frame; " + model_path + " is not an audio model");
    if (!s.pool.empty()) models::set_vit_pool(m.encoder(), s.pool, model_path);
  }

  nn::Var features(methods::Method& m, const methods::Batch& b, const FeatureSpec& s,
                   std::vector<int32_t>*) const override {
    nn::Var f = m.encoder().forward(b.views.at(0));
    return s.layer == "projector" ? m.project(f) : f;
  }

  std::string feature_name(methods::Method& m, const FeatureSpec& s) const override {
    // What a ViT pools over is part of what its features are; a
    // convolutional encoder has nothing to choose.
    const auto* vit = dynamic_cast<const models::ViT*>(&m.encoder());
    return vit ? s.layer + "-" + vit->pool() : s.layer;
  }

  const char* baseline_flag() const override { return "--raw-pixels"; }
  eval::Features baseline_features(const io::DataReader& in) const override {
    return eval::load_features(in, /*raw_pixels=*/true, /*log_mel=*/false);
  }

  FinetunePlan plan_finetune(const FullFinetuneOptions& o, const io::DataReader& tr,
                             const io::DataReader& te) const override {
    const eval::FinetuneOptions& r = o.report;
    FinetunePlan p;
    p.method = "supervised";
    methods::MethodParams& mp = p.params;
    if (!r.model.empty()) {
      TrainedModel t = load_trained_model(r.model);
      check_model_input(t, r.model, tr);
      p.config = json::parse(t.config);
      const methods::MethodParams from = methods::read_params(p.config);
      mp.arch = t.arch;
      mp.in_channels = t.in_channels;
      mp.patch = from.patch;  // a ViT keeps its patches and pooling
      mp.pool = from.pool;
      mp.encoder = from.encoder;  // the model's whole shape, not rebuilt from its arch
      p.input.norm = t.norm;
    } else {
      if (!tr.has("/images")) throw Error(tr.name(), "has no /images (full fine-tuning trains on images)");
      models::check_arch_modality(o.arch, "image", tr.name());
      mp.arch = o.arch;
      mp.in_channels = tr.info("/images").shape[3];
      const auto [mean, stdev] = pixel_stats(tr);
      p.input.norm = data::PixelNorm(mean, stdev);
      p.config = {{"normalize", data::to_json(p.input.norm)}};
    }
    check_image_input(tr, mp.in_channels);
    check_image_input(te, mp.in_channels);

    const bool vit = models::is_vit_arch(mp.arch);
    if (!vit && o.given.count("--layer-decay"))
      throw UsageError("--layer-decay goes with ViT encoders; " + mp.arch + " has --backbone-lr-scale");
    if (vit && o.given.count("--backbone-lr-scale"))
      throw UsageError("a ViT's backbone learns by --layer-decay (MAE's layer-wise decay), not --backbone-lr-scale");
    if (!vit && o.given.count("--pool")) throw UsageError("--pool goes with ViT encoders; " + mp.arch + " is convolutional");
    // A ViT: MAE's fine-tuning recipe unless told (weight decay 0.05, layer
    // decay 0.75 for pretrained weights, none from scratch), the model's own
    // pooling and AdamW at 3e-3 (measured: docs/methods.md).
    if (vit && !o.pool.empty()) mp.pool = o.pool;
    p.lr = vit && !o.given.count("--lr") ? 3e-3 : o.lr;
    p.weight_decay = vit && !o.given.count("--weight-decay") ? 0.05 : o.weight_decay;
    if (vit) {
      p.layer_decay = o.given.count("--layer-decay") || !r.model.empty() ? o.layer_decay : 1.0;
      p.report["layer_decay"] = p.layer_decay;
      p.report["pool"] = mp.pool;
    } else {
      p.report["backbone_lr_scale"] = o.backbone_lr_scale;
    }
    p.report["recipe"] = o.recipe;
    // One augmented view of each image, its label the target; the last
    // partial batch is dropped (batchnorm on a handful of rows is noise)
    // unless the labelled set is smaller than one batch.
    p.batches.config = {{"normalize", data::to_json(p.input.norm)},
                        {"views", 1},
                        {"recipe", o.recipe},
                        {"strength", 1.0}};
    p.batches.batch = o.batch;
    return p;
  }

  void load_encoder(methods::Method& m, const std::string& model_path) const override {
    load_checkpoint_part(model_path, "encoder.", m.encoder());
  }

  std::vector<nn::ParamGroup> finetune_groups(methods::Method& m, const FinetunePlan& p,
                                              double backbone_lr_scale) const override {
    // The backbone moves slower than the new head (measured at 1 % labels:
    // head and backbone both at 1e-3 gave 0.739, the head at 1e-2 with the
    // backbone at 1e-3 0.800); a ViT's layers slow down with depth from the
    // head instead.
    if (p.layer_decay <= 0) return backbone_and_head_groups(m, p.weight_decay, backbone_lr_scale);
    std::vector<nn::ParamGroup> groups = models::vit_layer_groups(m.encoder(), p.weight_decay, p.layer_decay);
    add_head_groups(m, p.weight_decay, groups);
    return groups;
  }
};

}  // namespace

const Modality& image_modality() {
  static const ImageModality m;
  return m;
}

}  // namespace sslkit::train
