// ssl-import: raw data (IDX, image folders, text, audio, CIFAR) to SSL-HDF5.
#include <list>
#include <map>
#include <memory>

#include "apps/import_model.hpp"
#include "apps/import_options.hpp"
#include "cli/option_table.hpp"
#include "cli/tool.hpp"
#include "data/text_corpus.hpp"

using namespace sslkit;

static std::unique_ptr<data::ImportSource> make_source(const data::ImportRun& run) {
  if (run.source == "idx")
    return std::make_unique<data::IdxSource>(run.idx.images, run.idx.labels, run.idx.class_names);
  if (run.source == "images") return std::make_unique<data::ImageSource>(run.images);
  if (run.source == "text") return std::make_unique<data::TextSource>(run.text, run.import);
  if (run.source == "cifar") return std::make_unique<data::CifarSource>(run.cifar);
  return std::make_unique<data::AudioSource>(run.audio);
}

int main(int argc, char** argv) {
  cli::Tool tool("ssl-import", "Import raw data into SSL-HDF5 files.");
  auto& app = tool.app();
  app.require_subcommand(1);
  const std::map<std::string, std::string> about{
      {"idx", "MNIST-format IDX files (gzipped or not)"},
      {"images", "A folder of images: class subfolders as labels, or flat; or a list file"},
      {"text", "Text files: one sample per line, or %-separated records (fortune files)"},
      {"audio", "Audio files (anything libsndfile reads): class subfolders as labels, or flat; or a list file"},
      {"cifar", "CIFAR-10 or CIFAR-100, the binary version (data_batch_1.bin .. or train.bin, test.bin)"},
      {"model", "A Hugging Face model directory (safetensors) as an sslkit model file for --model and --resume"}};
  std::vector<std::string> text_files;
  std::list<std::pair<CLI::App*, cli::OptionTable>> tables;  // a list: CLI11 keeps pointers into each table
  for (const std::string& source : data::import_sources()) {
    CLI::App* sub = app.add_subcommand(source, about.at(source));
    if (source == "text")
      tool.add_inputs(*sub, "files", text_files,
                      "Text files; with several, each file is a class (with --unlabelled: files and directories, "
                      "one corpus)")
          ->required();
    tables.emplace_back(std::piecewise_construct, std::forward_as_tuple(sub),
                        std::forward_as_tuple(tool, *sub, data::import_option_specs(source)));
    tool.add_common(*sub);
  }
  return tool.run(argc, argv, [&] {
    for (auto& [sub, options] : tables) {
      if (!sub->parsed()) continue;
      data::ImportRun run = data::resolve_import(sub->get_name(), options.given());
      if (run.source == "model") {
        train::run_import_model({run.model_dir, tool.common().output, tool.command_line()});
        continue;
      }
      run.import.seed = tool.common().seed;
      run.import.output = tool.common().output;
      run.import.command_line = tool.command_line();
      run.text.files = text_files;
      if (run.source == "text" && run.text.unlabelled)
        data::run_corpus_import(run.text, run.import);
      else
        data::run_import(*make_source(run), run.import);
    }
  });
}
