// The run resolver without training: every method's defaults on every
// modality it trains, every option refused where it does not apply, and
// --resume's agreement with the checkpoint.
#include <doctest/doctest.h>

#include <cmath>
#include <iterator>
#include <set>

#include "core/error.hpp"
#include "apps/pretrain_config.hpp"
#include "nn/engine.hpp"

using namespace sslkit;
using json = nlohmann::ordered_json;

namespace {

train::PretrainFile images(bool views = false) {
  train::PretrainFile f;
  f.name = "img.h5";
  f.modality = "image";
  f.views = views;
  f.samples = 120;
  f.shape = views ? json{120, 2, 28, 28, 1} : json{120, 28, 28, 1};
  f.config["input_shape"] = {28, 28};  // as ImageModality::read_facts writes them
  f.in_channels = 1;
  return f;
}

train::PretrainFile text() {
  train::PretrainFile f;
  f.name = "t.h5";
  f.modality = "text";
  f.samples = 100;
  f.shape = {100, 64};
  f.vocab_size = 200;
  f.max_len = 64;
  return f;
}

train::PretrainFile audio() {
  train::PretrainFile f;
  f.name = "a.h5";
  f.modality = "audio";
  f.samples = 10;
  f.shape = {10, 8000};
  f.config["sample_rate"] = 16000;
  return f;
}

json resolve(const json& given, const train::PretrainFile& f) { return train::resolve_pretrain(given, f).config; }

// The message of the usage error `given` raises on `f` ("" if none).
std::string refusal(const json& given, const train::PretrainFile& f, const json* resumed = nullptr) {
  try {
    train::resolve_pretrain(given, f, resumed, "m.h5");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("pretrain defaults: every method on every modality it trains as documented") {
  struct Expected {
    const char* method;
    train::PretrainFile file;
    const char* arch;
    int64_t batch;
    double lr, weight_decay, beta2;
    const char* recipe;  // "-": none (the method augments nothing)
  };
  const char* emp_recipe = "crop(0.25,0.25,1,1) flip(0.5) jitter(0.4,0.4,0.4,0.2,p=0.8) gray(0.2) solarize(128,p=0.1)";
  const std::vector<Expected> rows = {
      {"simclr", images(), "convnet-s", 256, 1e-3, 1e-6, 0.999, "simclr"},
      {"moco", images(), "convnet-s", 256, 1e-3, 1e-6, 0.999, "mocov2"},
      {"byol", images(), "convnet-s", 256, 1e-3, 1e-6, 0.999, "byol"},
      {"simsiam", images(), "convnet-s", 256, 1e-3, 1e-6, 0.999, "simclr"},
      {"barlow", images(), "convnet-s", 256, 1e-3, 1e-6, 0.999, "simclr"},
      {"vicreg", images(), "convnet-s", 256, 1e-3, 1e-6, 0.999, "simclr"},
      {"emp", images(), "convnet-m", 100, 1e-3, 1e-6, 0.999, emp_recipe},
      {"dino", images(), "convnet-m", 100, 1e-3, 1e-6, 0.999,
       "crop(0.05,0.4) flip(0.5) jitter(0.4,0.4,0.2,0.1,p=0.8) gray(0.2)"},
      {"rotation", images(), "convnet-s", 256, 1e-3, 1e-6, 0.999, "rotation"},
      {"mae", images(), "vit-mini", 256, 1.5e-4, 0.05, 0.95, "crop(0.2,1) flip(0.5)"},
      {"mlm", text(), "bert-mini", 64, 1e-3, 0.01, 0.999, "-"},
      {"electra", text(), "bert-mini", 64, 1e-3, 0.01, 0.999, "-"},
      // A method of text alone: its own arch and decay before text's bert-mini and 0.01.
      {"skipgram", text(), "bert-mini:depth=0,position=none", 64, 2e-2, 0.0, 0.999, "-"},
      {"simcse", text(), "bert-mini", 64, 1e-3, 0.01, 0.999, "-"},
      {"wav2vec", audio(), "w2v-mini", 32, 5e-4, 0.01, 0.98, "-"},
      {"simclr", audio(), "w2v-mini", 32, 1e-3, 1e-6, 0.999, "audio"},
  };
  for (const Expected& e : rows) {
    CAPTURE(e.method);
    CAPTURE(e.file.modality);
    const json c = resolve({{"--method", e.method}}, e.file);
    CHECK(c["method"] == e.method);
    CHECK(c["arch"] == e.arch);
    CHECK(c["batch"] == e.batch);
    CHECK(c["lr"].get<double>() == doctest::Approx(e.lr));
    CHECK(c["weight_decay"].get<double>() == doctest::Approx(e.weight_decay));
    CHECK(c["adam_beta2"].get<double>() == doctest::Approx(e.beta2));
    CHECK(c["warmup"].get<double>() == doctest::Approx(0.05));
    CHECK(c["optimizer"] == "adamw");
    if (std::string(e.recipe) == "-")
      CHECK_FALSE(c.contains("recipe"));
    else
      CHECK(c["recipe"] == e.recipe);
  }
}

TEST_CASE("pretrain defaults: each modality's method and the file's facts in the config") {
  CHECK(resolve(json::object(), images())["method"] == "emp");
  CHECK(resolve(json::object(), text())["method"] == "skipgram");  // the best text features at 20 minutes
  CHECK(resolve(json::object(), text())["arch"] == "bert-mini:depth=0,position=none");  // skipgram's own encoder
  CHECK(resolve(json::object(), audio())["method"] == "wav2vec");
  const json emp = resolve(json::object(), images());
  CHECK(emp["views"] == 16);
  CHECK(emp["view_size"] == 14);  // half the 28-pixel side
  CHECK(emp["input_shape"] == json{28, 28});
  CHECK(emp["in_channels"] == 1);
  CHECK(emp["hidden_dim"] == 1024);
  // DINO's multi-crop: 2 full-size views and 8 crops at half the side; its
  // own options in the config.
  const json dino = resolve({{"--method", "dino"}}, images());
  CHECK(dino["views"] == 8);
  CHECK(dino["global_views"] == 2);
  CHECK(dino["view_size"] == 14);
  CHECK(dino["global_recipe"] == "crop(0.4,1) flip(0.5) jitter(0.4,0.4,0.2,0.1,p=0.8) gray(0.2) solarize(128,p=0.1)");
  CHECK(dino["hidden_dim"] == 1024);
  CHECK(dino["proj_dim"] == 256);
  CHECK(dino["prototypes"] == 4096);
  CHECK(dino["teacher_temp"].get<double>() == doctest::Approx(0.07));
  CHECK(resolve({{"--method", "dino"}, {"--global-views", 0}}, images())["global_views"] == 0);
  const json mlm = resolve({{"--method", "mlm"}}, text());
  CHECK(mlm["vocab_size"] == 200);
  CHECK(mlm["max_len"] == 64);
  CHECK(mlm["eval_split"] == 0.0);
  CHECK(mlm["arch"] == "bert-mini");
  CHECK(resolve(json::object(), audio())["sample_rate"] == 16000);
  // MAE's rule scales with the batch; a given lr wins.
  CHECK(resolve({{"--method", "mae"}, {"--batch", 512}}, images())["lr"].get<double>() == doctest::Approx(3e-4));
  CHECK(resolve({{"--method", "mae"}, {"--lr", 0.01}}, images())["lr"].get<double>() == doctest::Approx(0.01));
  // What the user gives wins over every default.
  const json given = resolve({{"--arch", "resnet18"}, {"--batch", 8}, {"--seed", 5}}, images());
  CHECK(given["arch"] == "resnet18");
  CHECK(given["batch"] == 8);
  CHECK(given["seed"] == 5);
  // A method's own option reaches /config only for that method.
  CHECK(resolve({{"--method", "moco"}, {"--temperature", 0.5}}, images())["temperature"].get<double>() ==
        doctest::Approx(0.5));
  CHECK(resolve({{"--method", "mae"}, {"--norm-pix-loss", false}}, images())["norm_pix"] == false);
  CHECK(resolve({{"--method", "moco"}, {"--queue", 1024}}, images())["queue"] == 1024);
  CHECK(resolve({{"--method", "moco"}}, images())["queue"] == 4096);
}

TEST_CASE("pretrain options that do not apply to the run are refused naming the option and why") {
  struct Case {
    json given;
    train::PretrainFile file;
    const char* message;
  };
  const std::vector<Case> cases = {
      {{{"--method", "byol"}, {"--temperature", 0.1}}, images(), "--temperature goes with --method simclr or moco or simcse; --method is byol"},
      {{{"--method", "simclr"}, {"--queue", 1024}}, images(), "--queue goes with --method moco; --method is simclr"},
      {{{"--method", "mlm"}, {"--temperature", 0.1}}, text(), "--temperature goes with --method simclr or moco or simcse; --method is mlm"},
      {{{"--method", "simclr"}, {"--norm-pix-loss", true}}, images(), "--norm-pix-loss goes with --method mae; --method is simclr"},
      {{{"--method", "simclr"}, {"--decoder-width", 64}}, images(), "--decoder-width goes with --method mae; --method is simclr"},
      {{{"--method", "simclr"}, {"--decoder-depth", 1}}, images(), "--decoder-depth goes with --method mae; --method is simclr"},
      {{{"--method", "simclr"}, {"--decoder-heads", 2}}, images(), "--decoder-heads goes with --method mae; --method is simclr"},
      {{{"--method", "simclr"}, {"--decoder-mlp", 64}}, images(), "--decoder-mlp goes with --method mae; --method is simclr"},
      {{{"--method", "emp"}, {"--strength", 1.0}}, images(), "--strength sets the simclr recipe's color jitter; the recipe is crop"},
      {{{"--method", "simclr"}, {"--strength", 1.0}}, audio(), "--strength sets the simclr recipe's color jitter; the recipe is audio"},
      {{{"--method", "mlm"}, {"--strength", 1.0}}, text(), "--strength sets the simclr recipe's color jitter; --method mlm augments nothing"},
      {{{"--method", "simclr"}, {"--views", 4}}, images(), "--views goes with --method emp or dino; --method simclr takes 2 views of each image"},
      {{{"--method", "mlm"}, {"--view-size", 8}}, text(), "--view-size goes with --method emp or dino; --method mlm takes 0 views"},
      {{{"--global-views", 2}}, audio(), "--global-views goes with --method emp or dino; --method wav2vec takes 0 views"},
      {{{"--global-recipe", "flip(0.5)"}}, images(), "--global-recipe goes with --global-views; --global-views is 0"},
      {{{"--patch", 7}}, images(), "--patch cuts images for a ViT; --arch convnet-m is convolutional"},
      {{{"--method", "mlm"}, {"--patch", 7}}, text(), "--patch cuts images for a ViT; --arch bert-mini is not an image encoder"},
      {{{"--method", "mlm"}, {"--recipe", "simclr"}}, text(), "--recipe augments raw images or clips; --method mlm augments nothing"},
      {{{"--recipe", "simclr"}}, audio(), "--recipe augments raw images or clips; --method wav2vec augments nothing"},
      {{{"--method", "simclr"}, {"--recipe", "byol"}}, images(true), "--recipe augments raw images or clips; img.h5 holds views made by ssl-augment"},
      {{{"--eval-split", 0.1}}, images(), "--eval-split scores masked language models; img.h5 is not a text file"},
      {{{"--eval", "e.h5"}}, audio(), "--eval scores masked language models; a.h5 is not a text file"},
      {{{"--method", "mlm"}, {"--eval-every", 5}}, text(), "--eval-every goes with --eval or --eval-split; neither is given"},
      {{{"--monitor-bank", "b.h5"}}, images(), "--monitor-bank goes with --monitor; --monitor is not given"},
      {{{"--monitor-every", 5}}, images(), "--monitor-every goes with --monitor; --monitor is not given"},
      {{{"--method", "simclr"}, {"--recon", "r.png"}}, images(), "--recon draws what a masked image model (mae) fills in; --method is simclr"},
      {{{"--method", "mae"}, {"--recon-every", 5}}, images(), "--recon-every goes with --recon; --recon is not given"},
      {{{"--optimizer", "sgd"}, {"--adam-beta2", 0.9}}, images(), "--adam-beta2 goes with --optimizer adamw; --optimizer is sgd"},
      {{{"--method", "emp"}, {"--prototypes", 64}}, images(), "--prototypes goes with --method dino; --method is emp"},
      {{{"--method", "byol"}, {"--teacher-temp", 0.05}}, images(), "--teacher-temp goes with --method dino; --method is byol"},
      {{{"--teacher-temp-warmup", 0.1}}, images(), "--teacher-temp-warmup goes with --method dino; --method is emp"},
      {{{"--method", "mlm"}, {"--teacher-momentum", 0.99}}, text(), "--teacher-momentum goes with --method dino; --method is mlm"},
      {{{"--method", "simclr"}, {"--codevector-groups", 3}}, audio(), "--codevector-groups goes with --method wav2vec; --method is simclr"},
      {{{"--method", "simclr"}, {"--codevectors-per-group", 8}}, audio(), "--codevectors-per-group goes with --method wav2vec; --method is simclr"},
      {{{"--method", "mae"}, {"--codevector-dim", 8}}, images(), "--codevector-dim goes with --method wav2vec; --method is mae"},
      {{{"--method", "mlm"}, {"--proj-codevector-dim", 8}}, text(), "--proj-codevector-dim goes with --method wav2vec; --method is mlm"},
      {{{"--method", "mlm"}, {"--generator-fraction", 0.5}}, text(), "--generator-fraction goes with --method electra; --method is mlm"},
      {{{"--method", "simclr"}, {"--disc-weight", 10.0}}, images(), "--disc-weight goes with --method electra; --method is simclr"},
      {{{"--method", "mlm"}, {"--window", 3}}, text(), "--window goes with --method skipgram; --method is mlm"},
      {{{"--method", "mlm"}, {"--negatives", 3}}, text(), "--negatives goes with --method skipgram; --method is mlm"},
      {{{"--method", "mlm"}, {"--subsample", 0.0}}, text(), "--subsample goes with --method skipgram; --method is mlm"},
      {{{"--method", "mlm"}, {"--dropout", 0.1}}, text(), "--dropout goes with --method simcse; --method is mlm"},
      {{{"--method", "mae"}, {"--pool", "mean"}}, images(), "--pool goes with --method simcse; --method is mae"},
  };
  std::set<std::string> refused;
  for (const Case& c : cases) {
    CAPTURE(c.given.dump());
    const std::string m = refusal(c.given, c.file);
    CHECK(m.rfind(c.message, 0) == 0);
    refused.insert(std::prev(c.given.end()).key());  // each case's last option is the one refused
  }
  // Every row with a rule has a refusal above, so a new rule comes with its test.
  for (const train::PretrainRow& r : train::pretrain_options())
    if (r.unless) {
      CAPTURE(r.spec.flag);
      CHECK(refused.count(r.spec.flag) == 1);
    }
  // And where they apply they are taken.
  CHECK(refusal({{"--method", "simclr"}, {"--strength", 1.0}, {"--temperature", 0.1}}, images()).empty());
  CHECK(refusal({{"--method", "emp"}, {"--views", 4}, {"--view-size", 8}, {"--global-views", 1},
                 {"--global-recipe", "flip(0.5)"}},
                images())
            .empty());
  CHECK(refusal({{"--method", "mlm"}, {"--eval-split", 0.1}, {"--eval-every", 5}}, text()).empty());
  CHECK(refusal({{"--monitor", "m.h5"}, {"--monitor-bank", "b.h5"}}, text()).empty());
  CHECK(refusal({{"--method", "mae"}, {"--patch", 7}, {"--recon", "r.png"}, {"--recon-every", 5}}, images()).empty());
  CHECK(refusal({{"--monitor", "m.h5"}, {"--monitor-every", 5}}, images()).empty());
  CHECK(refusal({{"--method", "rotation"}}, images(true)).empty());
}

TEST_CASE("pretrain refuses a method or encoder that does not train the file and --epochs with --time-budget") {
  CHECK(refusal({{"--method", "mae"}}, audio()).rfind("--method mae trains image files; a.h5 holds audio", 0) == 0);
  CHECK(refusal({{"--method", "mlm"}}, images()) ==
        "--method mlm trains text files; img.h5 holds images (simclr, moco, byol, simsiam, barlow, vicreg, emp, dino, "
        "rotation, mae)");
  CHECK(refusal({{"--arch", "w2v-tiny"}}, text()).rfind("--arch w2v-tiny is an audio encoder; t.h5 is a text file", 0) == 0);
  CHECK(refusal({{"--epochs", 2}, {"--time-budget", 5.0}}, images()).find("--epochs") != std::string::npos);
  CHECK(refusal({{"--eval", "e.h5"}, {"--eval-split", 0.1}}, text()).rfind("--eval and --eval-split exclude", 0) == 0);
}

TEST_CASE("pretrain --resume: options that define the training must agree with the checkpoint") {
  const json c = resolve({{"--method", "simclr"}, {"--batch", 16}, {"--epochs", 3}}, images());
  // The same values, a float temperature and the run's own options pass.
  CHECK(refusal({{"--batch", 16}, {"--temperature", 0.2}, {"--max-steps", 2}, {"--epochs", 4}}, images(), &c).empty());
  CHECK(refusal({{"--lr", 0.5}}, images(), &c).rfind("--lr 0.5 differs from the checkpoint's 0.001 (m.h5)", 0) == 0);
  CHECK(refusal({{"--method", "byol"}}, images(), &c).rfind("--method byol differs", 0) == 0);
  CHECK(refusal({{"--seed", 9}}, images(), &c).rfind("--seed 9 differs", 0) == 0);
  CHECK(refusal({{"--epochs", 2}}, images(), &c).rfind("--epochs 2 is fewer than the checkpoint's 3", 0) == 0);
  CHECK(refusal({{"--time-budget", 60.0}}, images(), &c).rfind("--time-budget: m.h5 trains for 3 epochs", 0) == 0);
  // Options that do not apply are refused on resume too.
  CHECK(refusal({{"--norm-pix-loss", false}}, images(), &c).rfind("--norm-pix-loss goes with --method mae", 0) == 0);
  // Another file is not the data it was trained on.
  train::PretrainFile other = images();
  other.samples = 60;
  CHECK(refusal(json::object(), other, &c).find("is not the data m.h5 was trained on") != std::string::npos);
  // A resumed run keeps its config and takes more epochs.
  const json more = train::resolve_pretrain({{"--epochs", 5}}, images(), &c, "m.h5").config;
  CHECK(more["epochs"] == 5);
  CHECK(more["batch"] == 16);
}

TEST_CASE("pretrain --resume keeps the precision the run resolved to unless --precision is given again") {
  json c = resolve({{"--method", "simclr"}, {"--batch", 16}}, images());
  // Not given and no checkpoint: auto, resolved by the run.
  CHECK(train::resolve_pretrain(json::object(), images()).run["--precision"] == "auto");
  c["precision"] = "f32";  // as ssl-pretrain stores what `auto` or the user chose
  CHECK(train::resolve_pretrain(json::object(), images(), &c, "m.h5").run["--precision"] == "f32");
  CHECK(train::resolve_pretrain({{"--precision", "bf16"}}, images(), &c, "m.h5").run["--precision"] == "bf16");
  CHECK(train::resolve_pretrain({{"--precision", "auto"}}, images(), &c, "m.h5").run["--precision"] == "auto");
  c["precision"] = "bf16";
  if (nn::cpu_supports_bf16()) {
    CHECK(train::resolve_pretrain(json::object(), images(), &c, "m.h5").run["--precision"] == "bf16");
  } else {
    CHECK(refusal(json::object(), images(), &c).find("m.h5 trained in bf16 and keeps it") != std::string::npos);
  }
  CHECK(train::resolve_pretrain({{"--precision", "f32"}}, images(), &c, "m.h5").run["--precision"] == "f32");
  // A checkpoint that names none (hand-made): auto.
  c.erase("precision");
  CHECK(train::resolve_pretrain(json::object(), images(), &c, "m.h5").run["--precision"] == "auto");
}

TEST_CASE("pretrain --help states each option's real defaults from the same data") {
  for (const OptionSpec& s : train::pretrain_option_specs()) {
    if (s.flag == "--lr") {
      CHECK(s.help.find("[default 0.001; mae 0.00015 x batch/256; skipgram 0.02; wav2vec 0.0005]") != std::string::npos);
    }
    if (s.flag == "--batch") CHECK(s.help.find("[default 256; text files 64; audio files 32; emp 100; dino 100]") != std::string::npos);
    if (s.flag == "--arch") CHECK(s.help.find("emp convnet-m; dino convnet-m; mae vit-mini") != std::string::npos);
    if (s.flag == "--temperature") {
      CHECK(s.help.rfind("simclr or moco or simcse: ", 0) == 0);
      CHECK(s.help.find("[default 0.2; simcse 0.05]") != std::string::npos);
    }
  }
}

TEST_CASE("simcse: its temperature - dropout and pooling - the tokens unmasked - no held-out masked scores") {
  const json c = resolve({{"--method", "simcse"}}, text());
  CHECK(c["temperature"].get<double>() == doctest::Approx(0.05));
  CHECK(c["dropout"].get<double>() == doctest::Approx(0.1));
  CHECK(c["pool"] == "cls");
  CHECK(c["arch"] == "bert-mini");
  // The dropout is the encoder's: stored with its shape, so the model rebuilds as it trained.
  CHECK(c["encoder"]["dropout"].get<double>() == doctest::Approx(0.1));
  CHECK(resolve({{"--method", "simcse"}, {"--dropout", 0.2}}, text())["encoder"]["dropout"].get<double>() ==
        doctest::Approx(0.2));
  // Other methods' encoders keep none (their files as before).
  CHECK_FALSE(resolve({{"--method", "mlm"}}, text())["encoder"].contains("dropout"));
  CHECK(refusal({{"--method", "mlm"}, {"--dropout", 0.1}}, text()) == "--dropout goes with --method simcse; --method is mlm");
  CHECK(refusal({{"--method", "simcse"}, {"--eval-split", 0.1}}, text()) ==
        "--eval-split scores masked language models; --method simcse masks no tokens");
  CHECK(methods::method_info("simcse").plain_tokens);
  CHECK_FALSE(methods::method_info("mlm").plain_tokens);
  // simclr's temperature is still its own.
  CHECK(resolve({{"--method", "simclr"}}, images())["temperature"].get<double>() == doctest::Approx(0.2));
}

TEST_CASE("--init: a new run of its own method on the model's encoder shape - recorded in /config") {
  // An mlm model on a 2-block bert-mini with positions for 64 tokens.
  json mlm = resolve({{"--method", "mlm"}, {"--arch", "bert-mini:depth=2"}}, text());
  mlm["run_id"] = "0123456789abcdef";
  const train::PretrainFile f = text();
  const json c = train::resolve_pretrain({{"--method", "simcse"}, {"--init", "mlm.h5"}}, f, nullptr, "", &mlm, "mlm.h5").config;
  CHECK(c["method"] == "simcse");
  CHECK(c["arch"] == "bert-mini:depth=2");
  CHECK(c["encoder"]["depth"] == 2);
  CHECK(c["encoder"]["dropout"].get<double>() == doctest::Approx(0.1));  // simcse's, on the model's shape
  CHECK(c["init"] == json{{"file", "mlm.h5"}, {"method", "mlm"}, {"arch", "bert-mini:depth=2"}, {"run_id", "0123456789abcdef"}});
  CHECK(c["lr"].get<double>() == doctest::Approx(1e-3));  // the new run's own schedule
  // --arch given: the run's (the weights must then fit, checked when they load).
  const json a = train::resolve_pretrain({{"--method", "simcse"}, {"--init", "mlm.h5"}, {"--arch", "bert-tiny"}}, f,
                                         nullptr, "", &mlm, "mlm.h5").config;
  CHECK(a["arch"] == "bert-tiny");
  CHECK(a["encoder"]["depth"] == 2);
  CHECK(a["encoder"]["width"] == 128);
  // With --resume: one or the other.
  CHECK(refusal({{"--init", "mlm.h5"}, {"--resume", "m.h5"}}, f, &mlm) ==
        "--init starts a new run from a model's encoder and --resume continues a run: give one of them");
  // A model of another modality.
  const json img = resolve({{"--method", "simclr"}}, images());
  std::string why;
  try {
    train::resolve_pretrain({{"--init", "img.h5"}}, f, nullptr, "", &img, "img.h5");
  } catch (const UsageError& e) {
    why = e.what();
  }
  CHECK(why == "--init img.h5 is an image model; t.h5 is a text file");
}
