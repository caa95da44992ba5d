// The `trainload` command's subcommands. Each Register*Command() adds its flags to the CLI11
// app and returns the function to run once the flags are parsed. Only this folder reads flags
// and the environment; everything else gets Options structs.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace trainload::cli {

// Returns the process exit code.
using CommandMain = std::function<int()>;

CommandMain RegisterServerCommand(CLI::App& app);

}  // namespace trainload::cli
