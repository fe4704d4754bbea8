// The xenia command line: the CLI11 tree of global flags and verbs, parsed
// apart from running, so that tests can check what a command line selects
// without a daemon; and RunXenia, the whole program but main.
//
// Thread-compatible: one CommandLine per thread.
#pragma once

#include <istream>
#include <optional>
#include <ostream>
#include <string>

#include "CLI/CLI.hpp"
#include "cli/command_env.h"
#include "cli/commands/commands.h"
#include "cli/commands/options.h"

namespace xenia::cli {

class CommandLine {
 public:
  CommandLine();
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  // Parses argv (argv[0] is the program). Returns an exit code when the run
  // is already over — help or version printed (0), or a usage error printed
  // on `err` (2) — and nullopt when a command was selected.
  std::optional<int> Parse(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

  // The selected command, e.g. "list", "ops wait"; empty before Parse.
  const std::string& command() const;
  // What the command line set.
  const CommandOptions& options() const { return options_; }

  // Runs the selected command and returns its exit code.
  int Run(CommandEnv& env) const;

  // The help text of the whole tree.
  std::string Help() const { return app_.help(); }

 private:
  CommandOptions options_;
  CLI::App app_;
  CommandRegistry registry_;
  const CommandRegistry::Entry* selected_ = nullptr;
};

// Parses the command line and runs the command: output on `out`, messages,
// progress and errors on `err`, `create -` reads `in`; `save NAME -` and
// `restore -` write and read the descriptors of `binary`. Returns the exit
// code (cli/exit_codes.h).
int RunXenia(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
             std::istream& in, bool err_is_tty, const BinaryStdio& binary = BinaryStdio());

}  // namespace xenia::cli
