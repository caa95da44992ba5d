// The `trainload` command's subcommands. Each Register*Command() adds its flags to the CLI11
// app and returns the function to run once the flags are parsed. Only this folder reads flags
// and the environment; everything else gets Options structs.
//
// Exit codes of the S3 subcommands: 0 success, 1 an operation failed (the failed URIs are listed
// on stderr), 2 bad usage.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace trainload::cli {

// Returns the process exit code.
using CommandMain = std::function<int()>;

CommandMain RegisterServerCommand(CLI::App& app);

// bucket_commands.cc
CommandMain RegisterLsCommand(CLI::App& app);
CommandMain RegisterMbCommand(CLI::App& app);
CommandMain RegisterRbCommand(CLI::App& app);
// transfer_commands.cc
CommandMain RegisterCpCommand(CLI::App& app);
CommandMain RegisterSyncCommand(CLI::App& app);
CommandMain RegisterCatCommand(CLI::App& app);
// object_commands.cc
CommandMain RegisterRmCommand(CLI::App& app);
CommandMain RegisterStatCommand(CLI::App& app);
CommandMain RegisterPresignCommand(CLI::App& app);
// stage_command.cc
CommandMain RegisterStageCommand(CLI::App& app);
// mount_command.cc
CommandMain RegisterMountCommand(CLI::App& app);

}  // namespace trainload::cli
