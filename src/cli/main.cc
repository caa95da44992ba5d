// `trainload`: the command-line entry point. Parses flags and runs one subcommand.
#include <CLI/CLI.hpp>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) {
  namespace cli = trainload::cli;
  CLI::App app{"trainload: keep ML training fed from S3-compatible object storage"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "trainload 0.1.0");
  const std::vector<std::pair<std::string, cli::CommandMain>> commands = {
      {"server", cli::RegisterServerCommand(app)}, {"ls", cli::RegisterLsCommand(app)},
      {"cp", cli::RegisterCpCommand(app)},         {"sync", cli::RegisterSyncCommand(app)},
      {"rm", cli::RegisterRmCommand(app)},         {"mb", cli::RegisterMbCommand(app)},
      {"rb", cli::RegisterRbCommand(app)},         {"cat", cli::RegisterCatCommand(app)},
      {"stat", cli::RegisterStatCommand(app)},     {"presign", cli::RegisterPresignCommand(app)},
      {"stage", cli::RegisterStageCommand(app)},   {"mount", cli::RegisterMountCommand(app)},
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (const auto& [name, run] : commands) {
    if (app.got_subcommand(name)) return run();
  }
  return 2;
}
