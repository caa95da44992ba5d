// `trainload`: the command-line entry point. Parses flags and runs one subcommand.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"trainload: keep ML training fed from S3-compatible object storage"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "trainload 0.1.0");
  trainload::cli::CommandMain run_server = trainload::cli::RegisterServerCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (app.got_subcommand("server")) return run_server();
  return 2;
}
